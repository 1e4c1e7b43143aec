'use strict';
// Apps Script services as the connectors use them, faithful where behaviour matters to them:
// UrlFetchApp makes real, synchronous HTTP requests (through fetch_worker.js) with Apps
// Script's limits and its throw-on-error unless muteHttpExceptions; PropertiesService and
// CacheService keep strings with their size limits; DataStudioApp's builders produce the JSON
// Looker Studio reads; SpreadsheetApp keeps a grid and records every write; Ui, HtmlService and
// ScriptApp record what a user would see. Anything else is absent, so using it fails loudly.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');

const URL_LIMIT = 2082;
const RESPONSE_LIMIT = 50 * 1024 * 1024;
const FETCH_TIMEOUT_MS = 60 * 1000;
const PROPERTY_VALUE_LIMIT = 9 * 1024;
const CACHE_VALUE_LIMIT = 100 * 1024;
const CACHE_KEY_LIMIT = 250;

function fail(message) {
  throw new Error(message);
}

// --- UrlFetchApp ------------------------------------------------------------------------------

function createFetcher(log) {
  const shared = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(path.join(__dirname, 'fetch_worker.js'), {
    workerData: { shared, port: port2 },
    transferList: [port2],
  });
  worker.unref();

  function send(message) {
    Atomics.store(shared, 0, 0);
    port1.postMessage(message);
    const deadline = Date.now() + FETCH_TIMEOUT_MS + 5000;
    while (Atomics.load(shared, 0) === 0) {
      if (Date.now() > deadline) {
        fail('Timeout: ' + message.url);
      }
      Atomics.wait(shared, 0, 0, 1000);
    }
    let received;
    while (!(received = receiveMessageOnPort(port1))) {
      Atomics.wait(shared, 0, 1, 10);
    }
    return received.message;
  }

  const KNOWN_OPTIONS = ['method', 'headers', 'payload', 'contentType', 'muteHttpExceptions',
    'followRedirects', 'validateHttpsCertificates', 'escaping'];

  function fetch(url, params) {
    params = params || {};
    Object.keys(params).forEach((key) => {
      if (!KNOWN_OPTIONS.includes(key)) fail('UrlFetchApp: unknown option ' + key);
    });
    if (typeof url !== 'string') fail('Invalid argument: url');
    if (url.length > URL_LIMIT) fail('Limit Exceeded: URLFetch URL Length.');
    const method = String(params.method || 'get').toUpperCase();
    const headers = Object.assign({}, params.headers || {});
    if (params.contentType) headers['Content-Type'] = params.contentType;
    const follow = params.followRedirects !== false;
    let current = url;
    for (let hops = 0; ; hops++) {
      log.push({ method, url: current, authorization: headers.Authorization ? 'present' : 'absent' });
      const answer = send({ url: current, method, headers, body: params.payload, timeoutMs: FETCH_TIMEOUT_MS });
      if (answer.error) fail(answer.error);
      if (Buffer.byteLength(answer.body) > RESPONSE_LIMIT) fail('Limit Exceeded: URLFetch response size.');
      const location = answer.headers.location;
      if (follow && location && answer.status >= 300 && answer.status < 400 && hops < 5) {
        current = new URL(location, current).toString();
        continue;
      }
      const response = httpResponse(answer);
      if (answer.status >= 400 && !params.muteHttpExceptions) {
        fail('Request failed for ' + current + ' returned code ' + answer.status +
          '. Truncated server response: ' + answer.body.slice(0, 200) +
          ' (use muteHttpExceptions option to examine full response)');
      }
      return response;
    }
  }

  return { fetch };
}

function httpResponse(answer) {
  return {
    getResponseCode: () => answer.status,
    getContentText: () => answer.body,
    getHeaders: () => Object.assign({}, answer.headers),
    getAllHeaders: () => Object.assign({}, answer.headers),
  };
}

// --- PropertiesService and CacheService -------------------------------------------------------

function propertyStore(initial) {
  const values = new Map(Object.entries(initial || {}));
  const store = {
    getProperty: (key) => (values.has(key) ? values.get(key) : null),
    setProperty: (key, value) => {
      const text = String(value);
      if (Buffer.byteLength(text) > PROPERTY_VALUE_LIMIT) fail('Argument too large: value');
      values.set(String(key), text);
      return store;
    },
    deleteProperty: (key) => { values.delete(key); return store; },
    getProperties: () => Object.fromEntries(values),
    setProperties: (properties) => {
      Object.entries(properties).forEach(([k, v]) => store.setProperty(k, v));
      return store;
    },
    deleteAllProperties: () => { values.clear(); return store; },
    getKeys: () => [...values.keys()],
    dump: () => Object.fromEntries(values),
  };
  return store;
}

function cacheStore() {
  const values = new Map();
  const check = (key) => {
    if (String(key).length > CACHE_KEY_LIMIT) fail('Argument too large: key');
  };
  const cache = {
    get: (key) => {
      check(key);
      const entry = values.get(key);
      if (!entry || entry.expires < Date.now()) return null;
      return entry.value;
    },
    put: (key, value, seconds) => {
      check(key);
      const text = String(value);
      if (Buffer.byteLength(text) > CACHE_VALUE_LIMIT) fail('Argument too large: value');
      const ttl = Math.min(seconds === undefined ? 600 : seconds, 21600);
      values.set(key, { value: text, expires: Date.now() + ttl * 1000 });
    },
    remove: (key) => { values.delete(key); },
    keys: () => [...values.keys()],
  };
  return cache;
}

// --- Utilities -------------------------------------------------------------------------------

const Charset = { UTF_8: 'UTF_8', US_ASCII: 'US_ASCII' };
const DigestAlgorithm = { MD5: 'md5', SHA_1: 'sha1', SHA_256: 'sha256', SHA_384: 'sha384', SHA_512: 'sha512' };

function toBuffer(data) {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (Array.isArray(data)) return Buffer.from(data.map((b) => b & 0xff));
  fail('Utilities: expected a string or a byte array');
}

/** Java's signed bytes, as Apps Script returns them. */
function signedBytes(buffer) {
  return [...buffer].map((b) => (b > 127 ? b - 256 : b));
}

const UTC_ZONES = ['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT'];

const Utilities = {
  Charset,
  DigestAlgorithm,
  base64Encode: (data) => toBuffer(data).toString('base64'),
  base64EncodeWebSafe: (data) => toBuffer(data).toString('base64').replace(/\+/g, '-').replace(/\//g, '_'),
  base64Decode: (text) => signedBytes(Buffer.from(text, 'base64')),
  computeDigest: (algorithm, value) => {
    if (!Object.values(DigestAlgorithm).includes(algorithm)) fail('Utilities: unknown digest');
    return signedBytes(crypto.createHash(algorithm).update(toBuffer(value)).digest());
  },
  parseDate: (text, timeZone, format) => {
    if (!UTC_ZONES.includes(timeZone)) fail('shim: parseDate supports UTC time zones only, not ' + timeZone);
    if (format !== 'yyyy-MM-dd') fail('shim: parseDate supports yyyy-MM-dd only, not ' + format);
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) fail('Unparseable date: "' + text + '"');
    return new Date(Date.UTC(+match[1], +match[2] - 1, +match[3]));
  },
  sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
};

// --- DataStudioApp ---------------------------------------------------------------------------

const AUTH_TYPES = ['NONE', 'OAUTH2', 'KEY', 'USER_PASS', 'USER_TOKEN', 'PATH_USER_PASS', 'PATH_KEY'];
const FIELD_TYPES = ['YEAR', 'YEAR_QUARTER', 'YEAR_MONTH', 'YEAR_WEEK', 'YEAR_MONTH_DAY',
  'YEAR_MONTH_DAY_HOUR', 'YEAR_MONTH_DAY_SECOND', 'QUARTER', 'MONTH', 'WEEK', 'MONTH_DAY',
  'DAY_OF_WEEK', 'DAY', 'HOUR', 'MINUTE', 'DURATION', 'COUNTRY', 'COUNTRY_CODE', 'CONTINENT',
  'CONTINENT_CODE', 'SUB_CONTINENT', 'SUB_CONTINENT_CODE', 'REGION', 'REGION_CODE', 'CITY',
  'CITY_CODE', 'METRO', 'METRO_CODE', 'LATITUDE_LONGITUDE', 'NUMBER', 'PERCENT', 'TEXT',
  'BOOLEAN', 'URL', 'HYPERLINK', 'IMAGE', 'IMAGE_LINK', 'CURRENCY_USD', 'CURRENCY_EUR'];
const AGGREGATIONS = ['AVG', 'COUNT', 'COUNT_DISTINCT', 'MAX', 'MIN', 'SUM', 'AUTO', 'NO_AGGREGATION'];
const DATE_TYPES = FIELD_TYPES.slice(0, 16);
const NUMBER_TYPES = ['NUMBER', 'PERCENT', 'DURATION', 'CURRENCY_USD', 'CURRENCY_EUR'];

const enumOf = (names) => Object.freeze(Object.fromEntries(names.map((n) => [n, n])));

/** What `throwException()` throws: Apps Script shows `text` to the user. */
class UserError extends Error {
  constructor(text, debugText, kind) {
    super(text);
    this.shimKind = kind;
    this.text = text;
    this.debugText = debugText;
  }
}

function errorBuilder(kind) {
  let text = null;
  let debugText = null;
  const builder = {
    setText: (t) => { text = t; return builder; },
    setDebugText: (t) => { debugText = t; return builder; },
    throwException: () => {
      if (!text) fail('DataStudioApp: an error needs a text');
      throw new UserError(text, debugText, kind);
    },
  };
  return builder;
}

function requireId(id, what) {
  if (typeof id !== 'string' || !id || /\s/.test(id)) fail(what + ': the id must be a non-empty string without spaces, not ' + JSON.stringify(id));
}

function newField(concept) {
  const field = { concept, id: null, name: null, description: null, type: null, aggregation: null, reaggregatable: null, hidden: false };
  const builder = {
    setId: (v) => { field.id = v; return builder; },
    setName: (v) => { field.name = v; return builder; },
    setDescription: (v) => { field.description = v; return builder; },
    setType: (v) => { if (!FIELD_TYPES.includes(v)) fail('Field: unknown type ' + v); field.type = v; return builder; },
    setAggregation: (v) => { if (!AGGREGATIONS.includes(v)) fail('Field: unknown aggregation ' + v); field.aggregation = v; return builder; },
    setIsReaggregatable: (v) => { field.reaggregatable = !!v; return builder; },
    setIsHidden: (v) => { field.hidden = !!v; return builder; },
    getId: () => field.id,
    getName: () => field.name,
    getType: () => field.type,
    isDimension: () => concept === 'DIMENSION',
    isMetric: () => concept === 'METRIC',
    toJson: () => {
      requireId(field.id, 'Field');
      if (!field.type) fail('Field ' + field.id + ' has no type');
      const json = {
        name: field.id,
        label: field.name || field.id,
        dataType: NUMBER_TYPES.includes(field.type) ? 'NUMBER' : field.type === 'BOOLEAN' ? 'BOOLEAN' : 'STRING',
        semantics: { conceptType: concept, semanticType: field.type },
      };
      if (DATE_TYPES.includes(field.type)) json.semantics.semanticGroup = 'DATETIME';
      if (field.description) json.description = field.description;
      if (field.aggregation) json.defaultAggregationType = field.aggregation;
      if (field.reaggregatable !== null) json.semantics.isReaggregatable = field.reaggregatable;
      if (field.hidden) json.isHidden = true;
      return json;
    },
  };
  return builder;
}

function fieldsCollection(initial) {
  const list = initial || [];
  const defaults = {};
  const fields = {
    newDimension: () => { const f = newField('DIMENSION'); list.push(f); return f; },
    newMetric: () => { const f = newField('METRIC'); list.push(f); return f; },
    asArray: () => list.slice(),
    getFieldById: (id) => list.find((f) => f.getId() === id) || null,
    forIds: (ids) => fieldsCollection(ids.map((id) => {
      const found = list.find((f) => f.getId() === id);
      if (!found) fail('Fields.forIds: no field ' + id);
      return found;
    })),
    setDefaultDimension: (id) => { defaults.dimension = id; },
    setDefaultMetric: (id) => { defaults.metric = id; },
    build: () => {
      const json = list.map((f) => f.toJson());
      const ids = json.map((f) => f.name);
      if (new Set(ids).size !== ids.length) fail('Fields: duplicate ids');
      return json;
    },
  };
  return fields;
}

function configBuilder() {
  const entries = [];
  const state = { dateRangeRequired: false, isSteppedConfig: false };
  const entry = (type) => {
    const item = { type, options: [] };
    const builder = {
      setId: (v) => { item.id = v; return builder; },
      setName: (v) => { item.name = v; return builder; },
      setText: (v) => { item.text = v; return builder; },
      setHelpText: (v) => { item.helpText = v; return builder; },
      setPlaceholder: (v) => { item.placeholder = v; return builder; },
      setAllowOverride: (v) => { item.allowOverride = !!v; return builder; },
      setIsDynamic: (v) => { item.isDynamic = !!v; return builder; },
      addOption: (option) => { item.options.push(option.toJson()); return builder; },
      toJson: () => item,
    };
    entries.push(builder);
    return builder;
  };
  const config = {
    newInfo: () => entry('INFO'),
    newTextInput: () => entry('TEXTINPUT'),
    newTextArea: () => entry('TEXTAREA'),
    newSelectSingle: () => entry('SELECT_SINGLE'),
    newSelectMultiple: () => entry('SELECT_MULTIPLE'),
    newCheckbox: () => entry('CHECKBOX'),
    newOptionBuilder: () => {
      const option = {};
      const builder = {
        setLabel: (v) => { option.label = v; return builder; },
        setValue: (v) => { option.value = v; return builder; },
        toJson: () => {
          if (typeof option.value !== 'string' || !option.label) fail('Option: needs a label and a string value');
          return option;
        },
      };
      return builder;
    },
    setDateRangeRequired: (v) => { state.dateRangeRequired = !!v; return config; },
    setIsSteppedConfig: (v) => { state.isSteppedConfig = !!v; return config; },
    build: () => {
      const params = entries.map((e) => e.toJson());
      params.forEach((p) => requireId(p.id, 'Config entry'));
      const ids = params.map((p) => p.id);
      if (new Set(ids).size !== ids.length) fail('Config: duplicate ids');
      return { configParams: params, dateRangeRequired: state.dateRangeRequired, isSteppedConfig: state.isSteppedConfig };
    },
  };
  return config;
}

function createCommunityConnector() {
  return {
    AuthType: enumOf(AUTH_TYPES),
    FieldType: enumOf(FIELD_TYPES),
    AggregationType: enumOf(AGGREGATIONS),
    newAuthTypeResponse: () => {
      const response = {};
      const builder = {
        setAuthType: (v) => { if (!AUTH_TYPES.includes(v)) fail('unknown auth type ' + v); response.type = v; return builder; },
        setHelpUrl: (v) => { response.helpUrl = v; return builder; },
        build: () => { if (!response.type) fail('AuthTypeResponse: no auth type'); return response; },
      };
      return builder;
    },
    getConfig: configBuilder,
    getFields: () => fieldsCollection(),
    newUserError: () => errorBuilder('user'),
    newDebugError: () => errorBuilder('debug'),
  };
}

// --- SpreadsheetApp, Ui, HtmlService, ScriptApp ----------------------------------------------

function createSpreadsheet(options, record) {
  const sheets = [];
  let nextSheetId = 1;
  let active = null;
  const timeZone = options.timeZone || 'Etc/UTC';

  function newSheet(name) {
    if (sheets.some((s) => s.getName() === name)) fail('A sheet with the name "' + name + '" already exists.');
    const grid = [];
    const formats = [];
    let frozen = 0;
    const sheetId = nextSheetId++;
    const cell = (store, r, c) => (store[r] && store[r][c] !== undefined ? store[r][c] : '');
    const put = (store, r, c, v) => { (store[r] = store[r] || [])[c] = v; };
    const sheet = {
      getName: () => name,
      setName: (v) => { name = v; return sheet; },
      getSheetId: () => sheetId,
      activate: () => { active = sheet; return sheet; },
      getLastRow: () => grid.length,
      getLastColumn: () => Math.max(0, ...grid.map((row) => (row ? row.length : 0))),
      clearContents: () => { grid.length = 0; record.writes.push({ sheet: name, clear: true }); return sheet; },
      clear: () => { grid.length = 0; formats.length = 0; record.writes.push({ sheet: name, clear: true }); return sheet; },
      setFrozenRows: (n) => { frozen = n; return sheet; },
      getFrozenRows: () => frozen,
      getRange: (row, column, numRows, numColumns) => {
        numRows = numRows || 1;
        numColumns = numColumns || 1;
        if (row < 1 || column < 1 || numRows < 1 || numColumns < 1) fail('The coordinates of the range are outside the dimensions of the sheet.');
        const each = (f) => {
          for (let r = 0; r < numRows; r++) for (let c = 0; c < numColumns; c++) f(row - 1 + r, column - 1 + c, r, c);
        };
        const range = {
          setValues: (values) => {
            if (!Array.isArray(values) || values.length !== numRows || values.some((v) => !Array.isArray(v) || v.length !== numColumns)) {
              fail('The number of rows or columns in the data does not match the range: ' + numRows + 'x' + numColumns);
            }
            each((r, c, i, j) => put(grid, r, c, sheetValue(values[i][j], cell(formats, r, c))));
            record.writes.push({ sheet: name, row, column, numRows, numColumns });
            return range;
          },
          getValues: () => { const out = []; each((r, c, i, j) => { (out[i] = out[i] || [])[j] = cell(grid, r, c); }); return out; },
          setNumberFormat: (format) => { each((r, c) => put(formats, r, c, format)); return range; },
          setFontWeight: () => range,
        };
        return range;
      },
      dump: () => ({
        name,
        sheetId,
        frozenRows: frozen,
        values: grid.map((row) => [...(row || [])].map((v) => (v === undefined ? '' : v))),
        numberFormats: formats.map((row) => [...(row || [])].map((v) => (v === undefined ? '' : v))),
      }),
    };
    sheets.push(sheet);
    return sheet;
  }

  const initial = newSheet('Sheet1');
  active = initial;
  const spreadsheet = {
    getId: () => 'shim-spreadsheet',
    getSpreadsheetTimeZone: () => timeZone,
    getSheets: () => sheets.slice(),
    getSheetByName: (n) => sheets.find((s) => s.getName() === n) || null,
    getSheetById: (id) => sheets.find((s) => s.getSheetId() === id) || null,
    insertSheet: (n) => { const s = newSheet(n); active = s; return s; },
    getActiveSheet: () => active,
    setActiveSheet: (s) => { active = s; return s; },
    toast: (message, title) => { record.toasts.push({ title: title || '', message }); },
    dump: () => sheets.map((s) => s.dump()),
  };
  return spreadsheet;
}

/**
 * A value as Sheets stores it: text typed into a cell that is not plain text ('@') is read the
 * way Sheets reads input, so a text cell that looks like a formula or a number changes meaning.
 */
function sheetValue(value, format) {
  if (value === null || value === undefined) return '';
  if (Object.prototype.toString.call(value) === '[object Date]') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  const text = String(value);
  if (format === '@') return text;
  if (text.startsWith("'")) return text.slice(1);
  if (text.startsWith('=')) return { formula: text };
  if (/^[+-]?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (/^(true|false)$/i.test(text.trim())) return text.trim().toLowerCase() === 'true';
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) return { parsedDate: text };
  return text;
}

function createUi(record, projectDir) {
  const ButtonSet = enumOf(['OK', 'OK_CANCEL', 'YES_NO', 'YES_NO_CANCEL']);
  const Button = enumOf(['OK', 'CANCEL', 'YES', 'NO', 'CLOSE']);
  const menu = (name) => {
    const items = [];
    const builder = {
      addItem: (caption, functionName) => { items.push({ caption, functionName }); return builder; },
      addSeparator: () => { items.push({ separator: true }); return builder; },
      addSubMenu: (sub) => { items.push({ subMenu: sub.toJson() }); return builder; },
      addToUi: () => { record.menus.push({ name, items }); },
      toJson: () => ({ name, items }),
    };
    return builder;
  };
  return {
    ButtonSet,
    Button,
    createMenu: (name) => menu(name),
    createAddonMenu: () => menu('(add-on)'),
    alert: (...args) => {
      const [title, prompt] = args.length >= 2 && typeof args[1] === 'string' ? [args[0], args[1]] : ['', args[0]];
      record.alerts.push({ title, prompt });
      return Button.OK;
    },
    showModalDialog: (output, title) => { record.dialogs.push({ title, file: output.file, kind: 'modal' }); },
    showSidebar: (output) => { record.dialogs.push({ title: output.title, file: output.file, kind: 'sidebar' }); },
  };
}

function createHtmlService(projectDir) {
  const output = (file, content) => {
    const o = {
      file,
      title: '',
      getContent: () => content,
      setWidth: () => o,
      setHeight: () => o,
      setTitle: (t) => { o.title = t; return o; },
    };
    return o;
  };
  return {
    createHtmlOutputFromFile: (name) => {
      const file = path.join(projectDir, name + '.html');
      if (!fs.existsSync(file)) fail('No HTML file named ' + name + ' was found.');
      return output(name, fs.readFileSync(file, 'utf8'));
    },
  };
}

function createScriptApp(record) {
  let nextId = 1;
  const builder = (handler) => ({
    timeBased: () => {
      const spec = { handler, everyDays: null, atHour: null, everyHours: null };
      const time = {
        everyDays: (n) => { spec.everyDays = n; return time; },
        everyHours: (n) => { spec.everyHours = n; return time; },
        atHour: (h) => { spec.atHour = h; return time; },
        create: () => {
          const trigger = { id: String(nextId++), spec };
          record.triggers.push(trigger);
          return {
            getUniqueId: () => trigger.id,
            getHandlerFunction: () => handler,
            getEventType: () => 'CLOCK',
          };
        },
      };
      return time;
    },
  });
  const wrap = (trigger) => ({
    getUniqueId: () => trigger.id,
    getHandlerFunction: () => trigger.spec.handler,
    getEventType: () => 'CLOCK',
  });
  return {
    newTrigger: (handler) => builder(handler),
    getProjectTriggers: () => record.triggers.map(wrap),
    getUserTriggers: () => record.triggers.map(wrap),
    deleteTrigger: (t) => {
      const index = record.triggers.findIndex((x) => x.id === t.getUniqueId());
      if (index >= 0) record.triggers.splice(index, 1);
    },
  };
}

module.exports = {
  UserError,
  createFetcher,
  propertyStore,
  cacheStore,
  Utilities,
  createCommunityConnector,
  createSpreadsheet,
  createUi,
  createHtmlService,
  createScriptApp,
};
