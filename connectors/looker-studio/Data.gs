/**
 * getData: reads the table's JSON feed with only the requested fields (`$select`) and, with a
 * date column, the report's date range as `$filter`, so the app and Jira read only those rows.
 * It follows `next` to the last page and returns every row or a user error, never a partial
 * table.
 *
 * Limits: a page is PAGE_SIZE rows. At 1,000 rows one fetch stays far below UrlFetch's 50 MB
 * answer limit even with long text columns (50 KB a row), and the app reads about ten Jira
 * pages for it, a few seconds, well within one fetch's timeout. All pages must arrive within
 * TIME_BUDGET_MS (Apps Script stops an execution at 6 minutes) and add up to at most MAX_ROWS
 * (Looker Studio's limit per answer); beyond either the user is asked to narrow the request.
 */

var PAGE_SIZE = 1000;
var MAX_ROWS = 1000000;
var TIME_BUDGET_MS = 5 * 60 * 1000;
/** Rows returned while Looker Studio only samples the data. */
var SAMPLE_ROWS = 100;

function getData(request) {
  var started = Date.now();
  var credentials = requireCredentials();
  var params = request.configParams || {};
  var dataSource = getDataSource(credentials, params.dataSource);
  var table = findTable(dataSource, params.table || 'Issues');
  var names = (request.fields || []).map(function (field) { return field.name; });
  var columns = names.map(function (name) {
    var column = firstWhere(table.columns, function (c) { return c.name === name; });
    if (!column) {
      throwUserError('The data source "' + dataSource.name + '" no longer has the field "' + name +
        '". Refresh the fields of this data source in Looker Studio.');
    }
    return column;
  });

  var query = ['$select=' + encodeURIComponent(names.join(',')), 'limit=' + PAGE_SIZE];
  var dateColumn = dateColumnFor(table, params.dateColumn);
  if (dateColumn && request.dateRange && request.dateRange.startDate) {
    query.push('$filter=' + encodeURIComponent(dateRangeFilter(dateColumn.name, request.dateRange)));
  }
  if (request.scriptParams && request.scriptParams.sampleExtraction) {
    query.push('$top=' + SAMPLE_ROWS);
  }

  var rows = [];
  var url = table.feeds.json + '?' + query.join('&');
  while (url) {
    if (Date.now() - started > TIME_BUDGET_MS) {
      throwUserError('Reading "' + dataSource.name + '" takes longer than Looker Studio allows. ' +
        'Use a shorter date range, fewer fields, or a data source with fewer issues.');
    }
    var page = fetchJson(credentials, url, 'the data of "' + dataSource.name + '"');
    if (!page || !Array.isArray(page.rows)) {
      throwUserError('BI Connector sent an unreadable page of "' + dataSource.name + '". Try again.');
    }
    for (var i = 0; i < page.rows.length; i++) {
      var row = page.rows[i];
      rows.push({ values: columns.map(function (column) { return lookerValue(column, row[column.name]); }) });
    }
    if (rows.length > MAX_ROWS) {
      throwUserError('"' + dataSource.name + '" has more than ' + MAX_ROWS + ' rows for this ' +
        'request, more than Looker Studio takes at once. Use a shorter date range.');
    }
    url = page.next || null;
    if (url && url.indexOf(credentials.baseUrl + '/') !== 0) {
      throwUserError('BI Connector pointed to a next page outside ' + credentials.baseUrl + '.',
        'next: ' + url);
    }
  }

  return {
    schema: tableFields(table).forIds(names).build(),
    rows: rows,
    filtersApplied: false
  };
}

/**
 * `Column ge <start> and Column lt <end + 1 day>`: both ends of Looker Studio's range are
 * inclusive days (YYYY-MM-DD, read as UTC), for timestamps and dates alike.
 */
function dateRangeFilter(columnName, dateRange) {
  var start = String(dateRange.startDate);
  var end = String(dateRange.endDate || dateRange.startDate);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || !/^\d{4}-\d{2}-\d{2}$/.test(end)) {
    throwUserError('Looker Studio sent a date range this connector cannot read: ' + start + ' to ' + end + '.');
  }
  var after = new Date(Date.parse(end + 'T00:00:00Z') + 24 * 60 * 60 * 1000);
  return columnName + ' ge ' + start + ' and ' + columnName + ' lt ' + after.toISOString().slice(0, 10);
}

/** A feed value in Looker Studio's format for the column's type; null stays null. */
function lookerValue(column, value) {
  if (value === null || value === undefined) {
    return null;
  }
  switch (column.type) {
    case 'DateTimeOffset':
      var at = new Date(value);
      if (isNaN(at.getTime())) {
        throwUserError('BI Connector sent "' + value + '" as the time of ' + column.name + '.');
      }
      return at.toISOString().slice(0, 19).replace(/[-T:]/g, '');
    case 'Date':
      return String(value).replace(/-/g, '');
    default:
      return value;
  }
}
