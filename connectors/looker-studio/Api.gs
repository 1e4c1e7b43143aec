/**
 * The BI Connector app as this connector talks to it: one authenticated GET that returns parsed
 * JSON or throws a Looker Studio user error carrying the app's own message. Credentials live in
 * the user's properties (PATH_USER_PASS: the app's base URL, the Jira email, an access token).
 */

var PROPERTY_BASE_URL = 'bi.baseUrl';
var PROPERTY_USERNAME = 'bi.username';
var PROPERTY_TOKEN = 'bi.token';

/** The stored credentials, or null when the user has not signed in. */
function storedCredentials() {
  var properties = PropertiesService.getUserProperties();
  var baseUrl = properties.getProperty(PROPERTY_BASE_URL);
  var token = properties.getProperty(PROPERTY_TOKEN);
  if (!baseUrl || !token) {
    return null;
  }
  return {
    baseUrl: baseUrl,
    username: properties.getProperty(PROPERTY_USERNAME) || '',
    token: token
  };
}

/**
 * The app's base URL as typed by a user: trimmed, https:// added when no scheme is given, no
 * trailing slash. Null when it is not an http(s) URL with a host.
 */
function normalizeBaseUrl(raw) {
  var text = String(raw || '').trim();
  if (!text) {
    return null;
  }
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    text = 'https://' + text;
  }
  var match = /^(https?):\/\/([^\/?#@\s]+)(\/[^?#\s]*)?$/i.exec(text);
  if (!match) {
    return null;
  }
  return (match[1].toLowerCase() + '://' + match[2] + (match[3] || '')).replace(/\/+$/, '');
}

/**
 * GETs `url` with the credentials and returns its JSON body. Any failure (network, a non-200
 * answer, an unreadable body) throws a user error; `describe` names what was being read.
 */
function fetchJson(credentials, url, describe) {
  var response;
  try {
    response = UrlFetchApp.fetch(url, {
      method: 'get',
      muteHttpExceptions: true,
      followRedirects: false,
      headers: {
        Authorization: 'Basic ' + Utilities.base64Encode(credentials.username + ':' + credentials.token,
          Utilities.Charset.UTF_8),
        Accept: 'application/json'
      }
    });
  } catch (e) {
    throwUserError('Could not read ' + describe + ' from BI Connector at ' + credentials.baseUrl +
      ' (the connection failed or broke off). Try again; if it keeps failing, check the app URL.',
      String(e && e.message || e));
  }
  var status = response.getResponseCode();
  var text = response.getContentText();
  var body = parseJsonOrNull(text);
  if (status !== 200) {
    var message = body && body.error && body.error.message;
    var code = body && body.error && body.error.code;
    if (status === 401) {
      throwUserError('BI Connector did not accept the access token: ' +
        (message || String(text).trim() || 'unauthorized') +
        ' Create a new one under Tokens → Access Token, then reconnect this data source.',
        'HTTP 401 from ' + url);
    }
    throwUserError(message ||
      ('BI Connector answered HTTP ' + status + ' while reading ' + describe + '.'),
      'HTTP ' + status + (code ? ' ' + code : '') + ' from ' + url);
  }
  if (body === null) {
    throwUserError('BI Connector sent an unreadable answer while reading ' + describe +
      '. Try again.', 'Unparseable body from ' + url + ': ' + String(text).slice(0, 200));
  }
  return body;
}

function parseJsonOrNull(text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    return null;
  }
}

/** Throws a user error: `text` is shown to every user, `debugText` only to admins. */
function throwUserError(text, debugText) {
  var error = DataStudioApp.createCommunityConnector().newUserError().setText(text);
  if (debugText) {
    error.setDebugText(debugText);
  }
  error.throwException();
}

/** The signed-in user's data sources (`GET /api/datasources`). */
function listDataSources(credentials) {
  var body = fetchJson(credentials, credentials.baseUrl + '/api/datasources', 'your data sources');
  return body.dataSources || [];
}

/** One of the user's data sources (`GET /api/datasources/{id}`). */
function getDataSource(credentials, id) {
  if (!/^[1-9][0-9]*$/.test(String(id || ''))) {
    throwUserError('Pick a data source in the connector\'s settings.');
  }
  return fetchJson(credentials, credentials.baseUrl + '/api/datasources/' + id, 'the data source');
}

/** The table named `name` of `dataSource`, or a user error. */
function findTable(dataSource, name) {
  var tables = dataSource.tables || [];
  for (var i = 0; i < tables.length; i++) {
    if (tables[i].name === name) {
      return tables[i];
    }
  }
  throwUserError('The data source "' + dataSource.name + '" has no table "' + name +
    '". Edit the connection and pick one of its tables.');
}

/** The signed-in user's credentials, or a user error asking them to sign in. */
function requireCredentials() {
  var credentials = storedCredentials();
  if (!credentials) {
    throwUserError('Sign in to BI Connector first: the app URL, your Jira email and an access token.');
  }
  return credentials;
}
