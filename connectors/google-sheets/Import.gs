/**
 * Import and refresh: every row of a data source's table is read first (following `next` to the
 * last page), and only then written, so a failure leaves the sheet as it was, never half
 * refreshed. Cells are typed: timestamps and dates as dates, numbers as numbers, booleans as
 * booleans, text as plain text (so an issue summary like "=1+1" or "007" stays text). Rows go
 * in CHUNK_ROWS per write to stay inside Apps Script's call limits.
 */

/** Rows per feed page (the feed's default): a few seconds of Jira reads per fetch. */
var PAGE_SIZE = 1000;
/** Rows per setValues call. */
var CHUNK_ROWS = 500;
/** Google Sheets holds at most ten million cells per spreadsheet. */
var MAX_CELLS = 10000000;
/** Stop reading before Apps Script's 6-minute limit, so the user gets a message. */
var TIME_BUDGET_MS = 5 * 60 * 1000;

var LINK_PREFIX = 'bi.sheet.';

/** Imports table `tableName` of data source `id` into its sheet; returns {sheet, rows}. */
function importDataSource(id, tableName) {
  var spreadsheet = SpreadsheetApp.getActiveSpreadsheet();
  var connection = requireConnection();
  var source = getDataSource(connection, id);
  var table = findTable(source, tableName || 'Issues');
  var sheet = linkedSheet(spreadsheet, source.id, table.name) ||
    spreadsheet.insertSheet(freeSheetName(spreadsheet, sheetNameFor(source, table)));
  var result = writeTable(spreadsheet, sheet, connection, source, table);
  PropertiesService.getDocumentProperties().setProperty(LINK_PREFIX + sheet.getSheetId(),
    JSON.stringify({ dataSource: source.id, table: table.name }));
  sheet.activate();
  return result;
}

/** Re-reads the data source of `sheet` into it. */
function importInto(sheet, dataSourceId, tableName) {
  var connection = requireConnection();
  var source = getDataSource(connection, dataSourceId);
  var table = findTable(source, tableName);
  return writeTable(SpreadsheetApp.getActiveSpreadsheet(), sheet, connection, source, table);
}

/** Refreshes every sheet imported into this spreadsheet; returns their results. */
function refreshLinkedSheets() {
  var spreadsheet = SpreadsheetApp.getActiveSpreadsheet();
  return spreadsheet.getSheets().filter(function (sheet) { return sheetLink(sheet); })
    .map(function (sheet) {
      var link = sheetLink(sheet);
      return importInto(sheet, link.dataSource, link.table);
    });
}

/** {dataSource, table} of an imported sheet, or null. */
function sheetLink(sheet) {
  var raw = PropertiesService.getDocumentProperties().getProperty(LINK_PREFIX + sheet.getSheetId());
  return raw ? JSON.parse(raw) : null;
}

function linkedSheet(spreadsheet, dataSourceId, tableName) {
  var sheets = spreadsheet.getSheets();
  for (var i = 0; i < sheets.length; i++) {
    var link = sheetLink(sheets[i]);
    if (link && link.dataSource === dataSourceId && link.table === tableName) {
      return sheets[i];
    }
  }
  return null;
}

function sheetNameFor(source, table) {
  var name = source.tables.length > 1 ? source.name + ' – ' + table.name : source.name;
  return name.replace(/[\[\]*?\/\\:]/g, ' ').slice(0, 90).trim() || 'BI Connector';
}

function freeSheetName(spreadsheet, name) {
  var candidate = name;
  for (var n = 2; spreadsheet.getSheetByName(candidate); n++) {
    candidate = name + ' (' + n + ')';
  }
  return candidate;
}

function findTable(source, name) {
  for (var i = 0; i < source.tables.length; i++) {
    if (source.tables[i].name === name) {
      return source.tables[i];
    }
  }
  throw new Error('The data source "' + source.name + '" has no table "' + name + '".');
}

/** Reads every row of `table`, then replaces the sheet's contents with them. */
function writeTable(spreadsheet, sheet, connection, source, table) {
  var started = Date.now();
  var columns = table.columns;
  var timeZone = spreadsheet.getSpreadsheetTimeZone();
  var rows = [];
  var url = table.feeds.json + '?limit=' + PAGE_SIZE;
  while (url) {
    if (Date.now() - started > TIME_BUDGET_MS) {
      throw new Error('Reading "' + source.name + '" takes longer than Apps Script allows. Nothing ' +
        'was changed. Narrow the data source (fewer issues or fields) and try again.');
    }
    var page = fetchJson(connection, url, 'the data of "' + source.name + '"');
    if (!Array.isArray(page.rows)) {
      throw new Error('BI Connector sent an unreadable page of "' + source.name + '". Try again.');
    }
    page.rows.forEach(function (row) {
      rows.push(columns.map(function (column) { return cellValue(column, row[column.name], timeZone); }));
    });
    if ((rows.length + 1) * columns.length > MAX_CELLS) {
      throw new Error('"' + source.name + '" has more cells than a spreadsheet holds. Nothing was ' +
        'changed. Narrow the data source (fewer issues or fields).');
    }
    url = page.next || null;
    if (url && url.indexOf(connection.baseUrl + '/') !== 0) {
      throw new Error('BI Connector pointed to a next page outside ' + connection.baseUrl + '.');
    }
  }

  sheet.clear();
  sheet.getRange(1, 1, 1, columns.length)
    .setValues([columns.map(function (column) { return column.name; })])
    .setFontWeight('bold');
  sheet.setFrozenRows(1);
  if (rows.length) {
    columns.forEach(function (column, index) {
      sheet.getRange(2, index + 1, rows.length, 1).setNumberFormat(numberFormat(column));
    });
  }
  for (var start = 0; start < rows.length; start += CHUNK_ROWS) {
    var chunk = rows.slice(start, start + CHUNK_ROWS);
    sheet.getRange(2 + start, 1, chunk.length, columns.length).setValues(chunk);
  }
  return { sheet: sheet.getName(), rows: rows.length };
}

function numberFormat(column) {
  switch (column.type) {
    case 'DateTimeOffset': return 'yyyy-mm-dd hh:mm:ss';
    case 'Date': return 'yyyy-mm-dd';
    case 'Int64': return '0';
    case 'Double': return '0.########';
    case 'Boolean': return 'General';
    default: return '@';
  }
}

/** A feed value as a typed cell; null is an empty cell. */
function cellValue(column, value, timeZone) {
  if (value === null || value === undefined) {
    return '';
  }
  switch (column.type) {
    case 'DateTimeOffset':
      var at = new Date(value);
      if (isNaN(at.getTime())) {
        throw new Error('BI Connector sent "' + value + '" as the time of ' + column.name + '.');
      }
      return at;
    case 'Date':
      return Utilities.parseDate(String(value), timeZone, 'yyyy-MM-dd');
    case 'Double':
    case 'Int64':
      return Number(value);
    case 'Boolean':
      return value === true;
    default:
      return String(value);
  }
}
