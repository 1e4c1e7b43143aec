/**
 * Sign-in: PATH_USER_PASS, so one deployment serves every installation of the app.
 * Path = the app's base URL, username = the Jira email, password = a BI Connector access token.
 * setCredentials checks them against `GET /feed/whoami` before storing anything.
 */

/** How long a successful check is trusted before isAuthValid asks the app again, in seconds. */
var AUTH_CACHE_SECONDS = 300;

function getAuthType() {
  var cc = DataStudioApp.createCommunityConnector();
  return cc.newAuthTypeResponse()
    .setAuthType(cc.AuthType.PATH_USER_PASS)
    .setHelpUrl('https://github.com/')
    .build();
}

/**
 * Looker Studio sends `{pathUserPass: {path, username, password}}` (some samples read
 * `userPass.path`; both are accepted).
 */
function setCredentials(request) {
  var given = (request && (request.pathUserPass || request.userPass)) || {};
  var baseUrl = normalizeBaseUrl(given.path);
  var credentials = {
    baseUrl: baseUrl,
    username: String(given.username || '').trim(),
    token: String(given.password || '').trim()
  };
  if (!baseUrl || !credentials.token || !checkCredentials(credentials)) {
    return { errorCode: 'INVALID_CREDENTIALS' };
  }
  var properties = PropertiesService.getUserProperties();
  properties.setProperty(PROPERTY_BASE_URL, credentials.baseUrl);
  properties.setProperty(PROPERTY_USERNAME, credentials.username);
  properties.setProperty(PROPERTY_TOKEN, credentials.token);
  rememberValid(credentials);
  return { errorCode: 'NONE' };
}

function isAuthValid() {
  var credentials = storedCredentials();
  if (!credentials) {
    return false;
  }
  if (CacheService.getUserCache().get(authCacheKey(credentials)) === 'valid') {
    return true;
  }
  if (!checkCredentials(credentials)) {
    return false;
  }
  rememberValid(credentials);
  return true;
}

function resetAuth() {
  var credentials = storedCredentials();
  if (credentials) {
    CacheService.getUserCache().remove(authCacheKey(credentials));
  }
  var properties = PropertiesService.getUserProperties();
  properties.deleteProperty(PROPERTY_BASE_URL);
  properties.deleteProperty(PROPERTY_USERNAME);
  properties.deleteProperty(PROPERTY_TOKEN);
}

/**
 * True when the app at `baseUrl` answers `/feed/whoami` for the token: a BI Connector that
 * knows this token. A wrong URL (no such app), a wrong token or no answer are all false.
 */
function checkCredentials(credentials) {
  var response;
  try {
    response = UrlFetchApp.fetch(credentials.baseUrl + '/feed/whoami', {
      method: 'get',
      muteHttpExceptions: true,
      followRedirects: false,
      headers: {
        Authorization: 'Basic ' + Utilities.base64Encode(credentials.username + ':' + credentials.token,
          Utilities.Charset.UTF_8)
      }
    });
  } catch (e) {
    return false;
  }
  if (response.getResponseCode() !== 200) {
    return false;
  }
  var body = parseJsonOrNull(response.getContentText());
  return !!(body && typeof body.site === 'string' && typeof body.accountId === 'string');
}

function rememberValid(credentials) {
  CacheService.getUserCache().put(authCacheKey(credentials), 'valid', AUTH_CACHE_SECONDS);
}

/** A cache key that changes with the credentials, without putting the token in it. */
function authCacheKey(credentials) {
  var digest = Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256,
    credentials.baseUrl + '\n' + credentials.token, Utilities.Charset.UTF_8);
  return 'bi.auth.' + Utilities.base64EncodeWebSafe(digest);
}
