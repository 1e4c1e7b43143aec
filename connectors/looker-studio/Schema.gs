/**
 * getSchema: the table's columns as Looker Studio fields. Timestamps are YEAR_MONTH_DAY_SECOND
 * (UTC), dates YEAR_MONTH_DAY, numbers NUMBER metrics summed by default, booleans BOOLEAN, the
 * rest TEXT; the issue's id and key (and every text column) are dimensions.
 */

function getSchema(request) {
  var params = (request && request.configParams) || {};
  var dataSource = getDataSource(requireCredentials(), params.dataSource);
  var table = findTable(dataSource, params.table || 'Issues');
  return { schema: tableFields(table).build() };
}

/** A Fields collection with one field per column of `table`, in the table's order. */
function tableFields(table) {
  var cc = DataStudioApp.createCommunityConnector();
  var fields = cc.getFields();
  var types = cc.FieldType;
  table.columns.forEach(function (column) {
    var field;
    switch (column.type) {
      case 'DateTimeOffset':
        field = fields.newDimension().setType(types.YEAR_MONTH_DAY_SECOND)
          .setDescription(column.name + ' (UTC)');
        break;
      case 'Date':
        field = fields.newDimension().setType(types.YEAR_MONTH_DAY);
        break;
      case 'Double':
      case 'Int64':
        field = column.key
          ? fields.newDimension().setType(types.NUMBER)
          : fields.newMetric().setType(types.NUMBER).setAggregation(cc.AggregationType.SUM);
        break;
      case 'Boolean':
        field = fields.newDimension().setType(types.BOOLEAN);
        break;
      default:
        field = fields.newDimension().setType(types.TEXT);
    }
    field.setId(column.name).setName(column.name);
  });
  if (firstWhere(table.columns, function (c) { return c.name === 'Key'; })) {
    fields.setDefaultDimension('Key');
  }
  return fields;
}
