'use strict';
// Runs an Apps Script project's .gs files, unmodified, against the shim's services and calls
// its functions one after another, as Looker Studio or a Sheets user would. Reads a scenario on
// stdin: {"project": "<dir>", "userProperties": {…}, "calls": [{"fn": "getConfig", "args": […]}]}
// and writes one JSON document: each call's result (or what it threw), every fetch made, the
// properties, the spreadsheet's sheets, and what the UI showed. Dates are {"$date": "<ISO>"}.
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const shim = require('./shim/services.js');

function main() {
  const scenario = JSON.parse(fs.readFileSync(0, 'utf8'));
  const projectDir = path.resolve(scenario.project);
  const record = { fetches: [], writes: [], menus: [], alerts: [], dialogs: [], toasts: [], triggers: [] };
  const userProperties = shim.propertyStore(scenario.userProperties);
  const scriptProperties = shim.propertyStore(scenario.scriptProperties);
  const documentProperties = shim.propertyStore(scenario.documentProperties);
  const userCache = shim.cacheStore();
  const spreadsheet = shim.createSpreadsheet(scenario.spreadsheet || {}, record);
  const ui = shim.createUi(record, projectDir);
  const log = (...args) => process.stderr.write(args.map(String).join(' ') + '\n');

  const context = vm.createContext({
    console: { log, info: log, warn: log, error: log },
    Logger: { log: (...args) => log(...args) },
    UrlFetchApp: shim.createFetcher(record.fetches),
    PropertiesService: {
      getUserProperties: () => userProperties,
      getScriptProperties: () => scriptProperties,
      getDocumentProperties: () => documentProperties,
    },
    CacheService: { getUserCache: () => userCache },
    Utilities: shim.Utilities,
    DataStudioApp: { createCommunityConnector: shim.createCommunityConnector },
    SpreadsheetApp: {
      getActiveSpreadsheet: () => spreadsheet,
      getActive: () => spreadsheet,
      getUi: () => ui,
    },
    HtmlService: shim.createHtmlService(projectDir),
    ScriptApp: shim.createScriptApp(record),
  });

  const files = fs.readdirSync(projectDir).filter((f) => f.endsWith('.gs')).sort();
  if (!files.length) throw new Error('no .gs files in ' + projectDir);
  for (const file of files) {
    vm.runInContext(fs.readFileSync(path.join(projectDir, file), 'utf8'), context, { filename: file });
  }

  const results = (scenario.calls || []).map((call) => {
    const fn = context[call.fn];
    if (typeof fn !== 'function') return { missing: call.fn };
    try {
      const value = fn.apply(null, call.args || []);
      return { ok: value === undefined ? null : value };
    } catch (e) {
      return { thrown: describeThrown(e) };
    }
  });

  const out = {
    files,
    results,
    fetches: record.fetches,
    userProperties: userProperties.dump(),
    documentProperties: documentProperties.dump(),
    cacheKeys: userCache.keys(),
    sheets: spreadsheet.dump(),
    writes: record.writes,
    menus: record.menus,
    alerts: record.alerts,
    dialogs: record.dialogs,
    toasts: record.toasts,
    triggers: record.triggers,
  };
  process.stdout.write(JSON.stringify(out, replacer));
}

const isDate = (value) => Object.prototype.toString.call(value) === '[object Date]';

/** Dates (of any realm) as {"$date": ISO}, so the caller can tell a date cell from text. */
function replacer(key, value) {
  const raw = this[key];
  if (isDate(raw)) return { $date: isNaN(raw.getTime()) ? 'Invalid Date' : raw.toISOString() };
  return value;
}

function describeThrown(e) {
  if (e && e.shimKind) {
    return { userError: e.shimKind === 'user', debugError: e.shimKind === 'debug', text: e.text, debugText: e.debugText };
  }
  return { message: String((e && e.message) || e), stack: String((e && e.stack) || '') };
}

main();
