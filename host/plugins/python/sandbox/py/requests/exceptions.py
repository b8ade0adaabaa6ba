"""The exception classes of `requests`, with the same hierarchy (original readers catch them)."""


class RequestException(IOError):
    def __init__(self, *args, response=None, request=None):
        super().__init__(*args)
        self.response = response
        self.request = request


class ConnectionError(RequestException):  # noqa: A001 (the name requests uses)
    pass


class HTTPError(RequestException):
    pass


class Timeout(RequestException):
    pass


class ReadTimeout(Timeout):
    pass


class ConnectTimeout(ConnectionError, Timeout):
    pass


class TooManyRedirects(RequestException):
    pass


class JSONDecodeError(RequestException, ValueError):
    pass
