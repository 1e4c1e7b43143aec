/**
 * The BI Connector app as the add-on talks to it: the connection (app base URL, Jira email,
 * access token) in the user's properties, and one authenticated GET that returns parsed JSON or
 * throws an Error whose message is the app's own, ready for a dialog.
 */

var PROPERTY_BASE_URL = 'bi.baseUrl';
var PROPERTY_EMAIL = 'bi.email';
var PROPERTY_TOKEN = 'bi.token';

/** The saved connection, or null. */
function savedConnection() {
  var properties = PropertiesService.getUserProperties();
  var baseUrl = properties.getProperty(PROPERTY_BASE_URL);
  var token = properties.getProperty(PROPERTY_TOKEN);
  if (!baseUrl || !token) {
    return null;
  }
  return { baseUrl: baseUrl, email: properties.getProperty(PROPERTY_EMAIL) || '', token: token };
}

function requireConnection() {
  var connection = savedConnection();
  if (!connection) {
    throw new Error('Connect to BI Connector first: BI Connector → Import data source…, then enter ' +
      'the app URL, your Jira email and an access token.');
  }
  return connection;
}

/** What the dialog shows of the saved connection (never the token itself). */
function getConnection() {
  var connection = savedConnection();
  return connection
    ? { baseUrl: connection.baseUrl, email: connection.email, hasToken: true }
    : { baseUrl: '', email: '', hasToken: false };
}

/**
 * Checks `form` ({baseUrl, email, token}) against the app's `/feed/whoami`, saves it, and
 * returns the user's data sources. A wrong URL or token throws and saves nothing.
 */
function saveConnection(form) {
  var baseUrl = normalizeBaseUrl(form && form.baseUrl);
  if (!baseUrl) {
    throw new Error('Enter the BI Connector URL shown on a data source page, e.g. https://bi.example.com.');
  }
  var connection = {
    baseUrl: baseUrl,
    email: String((form && form.email) || '').trim(),
    token: String((form && form.token) || '').trim()
  };
  var saved = savedConnection();
  if (!connection.token && saved) {
    connection.token = saved.token;
  }
  if (!connection.token) {
    throw new Error('Enter an access token (BI Connector → Tokens → Access Token).');
  }
  var whoami = fetchJson(connection, baseUrl + '/feed/whoami', 'your account');
  if (typeof whoami.accountId !== 'string') {
    throw new Error('No BI Connector answers at ' + baseUrl + '. Check the URL.');
  }
  var properties = PropertiesService.getUserProperties();
  properties.setProperty(PROPERTY_BASE_URL, connection.baseUrl);
  properties.setProperty(PROPERTY_EMAIL, connection.email);
  properties.setProperty(PROPERTY_TOKEN, connection.token);
  return listDataSources();
}

/** The user's data sources as the dialog lists them: [{id, name, tables: [name…]}]. */
function listDataSources() {
  var connection = requireConnection();
  var body = fetchJson(connection, connection.baseUrl + '/api/datasources', 'your data sources');
  return (body.dataSources || []).map(function (source) {
    return {
      id: source.id,
      name: source.name,
      tables: source.tables.map(function (table) { return table.name; })
    };
  });
}

/** One of the user's data sources (`GET /api/datasources/{id}`). */
function getDataSource(connection, id) {
  if (!/^[1-9][0-9]*$/.test(String(id || ''))) {
    throw new Error('Pick one of your data sources.');
  }
  return fetchJson(connection, connection.baseUrl + '/api/datasources/' + id, 'the data source');
}

/**
 * The app's base URL as typed: trimmed, https:// added when no scheme is given, no trailing
 * slash. Null when it is not an http(s) URL with a host.
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

/** GETs `url` with the connection and returns its JSON body, or throws a readable Error. */
function fetchJson(connection, url, describe) {
  var response;
  try {
    response = UrlFetchApp.fetch(url, {
      method: 'get',
      muteHttpExceptions: true,
      followRedirects: false,
      headers: {
        Authorization: 'Basic ' + Utilities.base64Encode(connection.email + ':' + connection.token,
          Utilities.Charset.UTF_8),
        Accept: 'application/json'
      }
    });
  } catch (e) {
    throw new Error('Could not read ' + describe + ' from BI Connector at ' + connection.baseUrl +
      ' (the connection failed or broke off). Nothing was changed. Try again; if it keeps ' +
      'failing, check the URL.');
  }
  var status = response.getResponseCode();
  var text = response.getContentText();
  var body = null;
  try {
    body = JSON.parse(text);
  } catch (e) {
    body = null;
  }
  var message = body && body.error && body.error.message;
  if (status === 401) {
    throw new Error('BI Connector did not accept the access token: ' +
      (message || String(text).trim()) +
      ' Create a new one under Tokens → Access Token and connect again.');
  }
  if (status !== 200) {
    throw new Error(message || ('BI Connector at ' + connection.baseUrl + ' answered HTTP ' +
      status + ' while reading ' + describe + '. Check the URL.'));
  }
  if (body === null) {
    throw new Error('BI Connector sent an unreadable answer while reading ' + describe + '. Try again.');
  }
  return body;
}
