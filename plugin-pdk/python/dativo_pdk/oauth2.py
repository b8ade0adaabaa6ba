"""OAuth2 client credentials (RFC 6749 §4.4), as the TS PDK's OAuth2ClientCredentials: fetch a
token, keep it until `expires_in − refresh_margin_sec`, refresh it (refresh token first), and on a
401 drop it and retry once. Errors never carry the client secret."""
import base64
import time
import urllib.parse

from .errors import PluginError
from .http import host_send


class OAuth2ClientCredentials:
    def __init__(self, token_url, client_id, client_secret, scope=None, audience=None,
                 refresh_margin_sec=60, send=None, now=None):
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.audience = audience
        self.refresh_margin_ms = refresh_margin_sec * 1000
        self._send = send
        self.now = now or (lambda: time.time() * 1000)
        self._token = None  # (access, refresh, until_ms)

    def access_token(self):
        if self._token and self.now() < self._token[2]:
            return self._token[0]
        refresh = self._token[1] if self._token else None
        self._token = None
        if refresh:
            try:
                self._token = self._fetch({"grant_type": "refresh_token", "refresh_token": refresh})
            except PluginError:
                pass  # an expired or revoked refresh token: a new grant below
        if self._token is None:
            self._token = self._fetch(
                {"grant_type": "client_credentials", "scope": self.scope, "audience": self.audience}
            )
        return self._token[0]

    def authorize(self, req):
        """`req` with `Authorization: Bearer <token>`."""
        return {**req, "headers": {**(req.get("headers") or {}), "authorization": f"Bearer {self.access_token()}"}}

    def wrap(self, send):
        def authorized(req):
            res = send(self.authorize(req))
            if res.status != 401:
                return res
            self._token = None
            return send(self.authorize(req))

        return authorized

    def _fetch(self, fields):
        send = host_send(self._send)
        q = urllib.parse.quote
        basic = base64.b64encode(f"{q(self.client_id, safe='')}:{q(self._client_secret, safe='')}".encode()).decode()
        form = urllib.parse.urlencode({k: v for k, v in fields.items() if v not in (None, "")})
        try:
            res = send({
                "method": "POST",
                "url": self.token_url,
                "headers": {
                    "authorization": f"Basic {basic}",
                    "content-type": "application/x-www-form-urlencoded",
                    "accept": "application/json",
                },
                "body": form,
            })
        except PluginError as e:
            raise PluginError(e.code, f"token endpoint {self.token_url}: {e.message}", e.retryable) from None
        try:
            body = res.json()
        except ValueError:
            body = {}
        access = body.get("access_token") if isinstance(body, dict) else None
        if res.status != 200 or not isinstance(access, str) or access == "":
            why = f" ({body['error']})" if isinstance(body, dict) and isinstance(body.get("error"), str) else ""
            raise PluginError(
                "AUTHENTICATION_FAILED",
                f"token endpoint {self.token_url} answered {res.status}{why} for client {self.client_id}: no access_token",
                res.status >= 500 or res.status == 429,
            )
        try:
            lifetime = float(body.get("expires_in")) * 1000
        except (TypeError, ValueError):
            lifetime = 0
        if lifetime <= 0:
            lifetime = 3_600_000
        refresh = body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None
        return (access, refresh, self.now() + max(lifetime - self.refresh_margin_ms, lifetime / 2))
