/**
 * getConfig: a stepped form. Pick one of your data sources, then one of its tables, then
 * (optionally) the date column Looker Studio's date range filters on. Every list comes from
 * `GET /api/datasources`, so it shows only what the signed-in user owns.
 */

/** The date column choice that means "no date range". */
var NO_DATE_COLUMN = '-';

function getConfig(request) {
  var cc = DataStudioApp.createCommunityConnector();
  var params = (request && request.configParams) || {};
  var sources = listDataSources(requireCredentials());
  if (!sources.length) {
    throwUserError('You have no data sources yet. In Jira, open Apps → BI Connector → Data ' +
      'sources, create one, then come back here.');
  }
  var config = cc.getConfig();
  config.newInfo()
    .setId('about')
    .setText('Pick one of your BI Connector data sources and a table. With a date column, ' +
      'the report\'s date range is applied by the app, so only those rows are read.');

  var sourceSelect = config.newSelectSingle()
    .setId('dataSource')
    .setName('Data source')
    .setHelpText('Your data sources in BI Connector for Jira.')
    .setIsDynamic(true);
  sources.forEach(function (source) {
    sourceSelect.addOption(config.newOptionBuilder().setLabel(source.name).setValue(String(source.id)));
  });
  var source = firstWhere(sources, function (s) { return String(s.id) === params.dataSource; });
  if (!source) {
    return config.setIsSteppedConfig(true).build();
  }

  var tableSelect = config.newSelectSingle()
    .setId('table')
    .setName('Table')
    .setIsDynamic(true);
  source.tables.forEach(function (table) {
    tableSelect.addOption(config.newOptionBuilder().setLabel(table.name).setValue(table.name));
  });
  var table = firstWhere(source.tables, function (t) { return t.name === params.table; });
  if (!table) {
    return config.setIsSteppedConfig(true).build();
  }

  var dateSelect = config.newSelectSingle()
    .setId('dateColumn')
    .setName('Date range column (optional)')
    .setHelpText('Rows whose value in this column falls inside the report\'s date range (UTC).')
    .setIsDynamic(true);
  dateSelect.addOption(config.newOptionBuilder().setLabel('None: read every row').setValue(NO_DATE_COLUMN));
  dateColumns(table).forEach(function (column) {
    dateSelect.addOption(config.newOptionBuilder().setLabel(column.name).setValue(column.name));
  });
  if (dateColumnFor(table, params.dateColumn)) {
    config.setDateRangeRequired(true);
  }
  return config.setIsSteppedConfig(false).build();
}

/** The table's columns a date range can apply to. */
function dateColumns(table) {
  return table.columns.filter(function (column) {
    return column.type === 'DateTimeOffset' || column.type === 'Date';
  });
}

/** The chosen date column of `table`, or null for none (or one the table no longer has). */
function dateColumnFor(table, name) {
  if (!name || name === NO_DATE_COLUMN) {
    return null;
  }
  return firstWhere(dateColumns(table), function (column) { return column.name === name; });
}

function firstWhere(items, predicate) {
  for (var i = 0; i < (items || []).length; i++) {
    if (predicate(items[i])) {
      return items[i];
    }
  }
  return null;
}
