/**
 * The "BI Connector" menu and what its items do. Every item shows its failure in a dialog (the
 * app's own message); the daily trigger has no screen, so it rethrows and Apps Script emails the
 * failure to the user.
 */

function onOpen() {
  SpreadsheetApp.getUi()
    .createMenu('BI Connector')
    .addItem('Import data source…', 'showImportDialog')
    .addItem('Refresh this sheet', 'refreshActiveSheet')
    .addItem('Refresh all sheets', 'refreshAllSheets')
    .addSeparator()
    .addItem('Refresh daily: on', 'enableDailyRefresh')
    .addItem('Refresh daily: off', 'disableDailyRefresh')
    .addItem('Disconnect', 'disconnect')
    .addToUi();
}

function onInstall(e) {
  onOpen(e);
}

/** The dialog: connection (URL, email, access token) and the list of data sources. */
function showImportDialog() {
  var output = HtmlService.createHtmlOutputFromFile('Dialog').setWidth(460).setHeight(520);
  SpreadsheetApp.getUi().showModalDialog(output, 'Import a BI Connector data source');
}

function refreshActiveSheet() {
  withErrorDialog(function () {
    var sheet = SpreadsheetApp.getActiveSpreadsheet().getActiveSheet();
    var link = sheetLink(sheet);
    if (!link) {
      throw new Error('This sheet was not imported from BI Connector. Use BI Connector → Import data source….');
    }
    var result = importInto(sheet, link.dataSource, link.table);
    SpreadsheetApp.getActiveSpreadsheet().toast(result.rows + ' rows', 'Refreshed ' + result.sheet);
  });
}

function refreshAllSheets() {
  withErrorDialog(function () {
    var results = refreshLinkedSheets();
    SpreadsheetApp.getActiveSpreadsheet().toast(results.length + ' sheets', 'Refreshed');
  });
}

/** The time-driven trigger's handler. */
function refreshAllFromTrigger() {
  refreshLinkedSheets();
}

function enableDailyRefresh() {
  withErrorDialog(function () {
    requireConnection();
    removeDailyTriggers();
    ScriptApp.newTrigger('refreshAllFromTrigger').timeBased().everyDays(1).atHour(6).create();
    SpreadsheetApp.getUi().alert('BI Connector',
      'Every imported sheet of this spreadsheet is refreshed daily between 6 and 7 (the script\'s time zone).',
      SpreadsheetApp.getUi().ButtonSet.OK);
  });
}

function disableDailyRefresh() {
  withErrorDialog(function () {
    removeDailyTriggers();
    SpreadsheetApp.getUi().alert('BI Connector', 'Daily refresh is off.', SpreadsheetApp.getUi().ButtonSet.OK);
  });
}

/** Forgets the saved connection and stops the daily refresh (the sheets keep their data). */
function disconnect() {
  withErrorDialog(function () {
    removeDailyTriggers();
    var properties = PropertiesService.getUserProperties();
    properties.deleteProperty(PROPERTY_BASE_URL);
    properties.deleteProperty(PROPERTY_EMAIL);
    properties.deleteProperty(PROPERTY_TOKEN);
  });
}

function removeDailyTriggers() {
  ScriptApp.getProjectTriggers().forEach(function (trigger) {
    if (trigger.getHandlerFunction() === 'refreshAllFromTrigger') {
      ScriptApp.deleteTrigger(trigger);
    }
  });
}

/** Runs `work`; a failure becomes a dialog with its message instead of a red banner. */
function withErrorDialog(work) {
  try {
    return work();
  } catch (e) {
    var ui = SpreadsheetApp.getUi();
    ui.alert('BI Connector', String(e && e.message || e), ui.ButtonSet.OK);
    return null;
  }
}
