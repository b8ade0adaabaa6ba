/** The Airbyte engine: connector images speaking the Airbyte protocol, adapted to Source. */
export type { AirbyteMessage, AirbyteStateMessage, AirbyteStream } from './messages.js';
export { parseMessage } from './messages.js';
export { RecordBuffer } from './records.js';
export { type AirbyteSettings, airbyteSettings, configuredCatalog, connectorConfig } from './settings.js';
export { type AirbyteSource, createAirbyteSource } from './source.js';
export { type AirbyteState, applyState, connectorState, readState, STATE_KEY } from './state.js';
