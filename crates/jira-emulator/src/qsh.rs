//! The query string hash (qsh) Jira puts in every token it signs, computed from Atlassian's
//! published algorithm, not from the product's code: a second, independent reading of the spec, so
//! a mistake in either shows up end to end. Checked below against Atlassian's published vectors.
//!
//! `qsh = hex(SHA-256(METHOD & canonical-path & canonical-query))`, where the path has the
//! receiver's base path removed (on a segment boundary), `&` escaped as `%26`, a leading `/` and no
//! trailing `/`; the query drops `jwt`, merges repeated names (values sorted, joined with `,`),
//! percent-encodes everything but `A-Z a-z 0-9 - . _ ~` and sorts by encoded name.

use std::collections::BTreeMap;

use crate::crypto::{hex, sha256};

/// Decodes a query string (or a form body) the way servlets do: `+` is a space, `%XX` a byte.
/// A leading `?` is ignored.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    let raw = raw.strip_prefix('?').unwrap_or(raw);
    url::form_urlencoded::parse(raw.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The qsh of a request: `path` as sent (not decoded), `base_path` the path of the receiver's
/// base URL (`""` for none), `params` the decoded query (and form) parameters.
pub fn hash(method: &str, path: &str, base_path: &str, params: &[(String, String)]) -> String {
    hex(&sha256(
        canonical_request(method, path, base_path, params).as_bytes(),
    ))
}

/// `METHOD&path&query`: the string the qsh hashes. Both `&` are always there.
pub fn canonical_request(
    method: &str,
    path: &str,
    base_path: &str,
    params: &[(String, String)],
) -> String {
    let mut out = method.to_ascii_uppercase();
    out.push('&');
    out.push_str(&canonical_path(path, base_path));
    out.push('&');
    out.push_str(&canonical_query(params));
    out
}

fn canonical_path(path: &str, base_path: &str) -> String {
    let base = base_path.trim_end_matches('/');
    let relative = match path.strip_prefix(base) {
        Some(rest) if !base.is_empty() && (rest.is_empty() || rest.starts_with('/')) => rest,
        _ => path,
    };
    let mut canonical = relative.replace('&', "%26");
    if !canonical.starts_with('/') {
        canonical.insert(0, '/');
    }
    if canonical.len() > 1 && canonical.ends_with('/') {
        canonical.pop();
    }
    canonical
}

fn canonical_query(params: &[(String, String)]) -> String {
    let mut by_name: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, value) in params.iter().filter(|(name, _)| name != "jwt") {
        by_name.entry(encode(name)).or_default().push(value);
    }
    // BTreeMap orders by the encoded name, by code point, as the spec asks.
    let mut pairs = Vec::with_capacity(by_name.len());
    for (name, mut values) in by_name {
        values.sort_unstable();
        let values: Vec<String> = values.into_iter().map(encode).collect();
        pairs.push(format!("{name}={}", values.join(",")));
    }
    pairs.join("&")
}

/// Percent-encodes every UTF-8 byte except the unreserved `A-Z a-z 0-9 - . _ ~`, upper-case hex.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! Published vectors, by source: V1–V11 come from atlassian-connect-express's old `test/jwt_test.js` and the atlassian-jwt-js
    //! test suite (Atlassian), V12 from hackage `atlassian-connect-core` 0.7.0.2 (doctest of
    //! `Snap.AtlassianConnect.QueryStringHash`), V13–V14 from the `atlassian-app-auth` crate's
    //! tests; X1–X6 were computed with npm `atlassian-jwt` 2.0.3 (X5: the Java order, which Jira
    //! uses, where Node differs). The SHA-256 of `foo` is printed in the original Connect docs.

    use super::*;

    /// `(method, "path?query", base path)` → (canonical request, qsh).
    fn request(method: &str, target: &str, base: &str) -> (String, String) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params = parse_query(query);
        (
            canonical_request(method, path, base, &params),
            hash(method, path, base, &params),
        )
    }

    const V1_QUERY: &str =
        "zee_last=param&repeated=parameter 1&first=param&repeated=parameter 2&repeated=Parameter 2";
    const V1_CANONICAL: &str = "GET&/path/to/service&first=param&repeated=Parameter%202,parameter%201,parameter%202&zee_last=param";
    const V3_QUERY: &str = "lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.e30.sig&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1";
    const V3_PARAMS: &str = "cp=%2Fjira&lic=none&loc=en-US&tz=Australia%2FSydney&user_id=&user_key=&xdm_c=channel-servlet-hello-world&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_p=1";

    #[test]
    fn v1_repeated_parameters_are_merged_with_their_values_sorted() {
        let (canonical, hash) = request("GET", &format!("/path/to/service?{V1_QUERY}"), "");
        assert_eq!(canonical, V1_CANONICAL);
        assert!(hash.starts_with("9ae6056c"), "{hash}");
    }

    #[test]
    fn v2_the_base_path_is_removed_before_hashing() {
        let (canonical, _) = request("GET", &format!("/base/path/to/service?{V1_QUERY}"), "/base");
        assert_eq!(canonical, V1_CANONICAL);
    }

    #[test]
    fn v3_a_page_load_query_without_its_jwt() {
        let (canonical, hash) = request("GET", &format!("/hello-world?{V3_QUERY}"), "");
        assert_eq!(canonical, format!("GET&/hello-world&{V3_PARAMS}"));
        assert_eq!(
            hash,
            "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9"
        );
    }

    #[test]
    fn v4_v5_form_fields_count_only_when_passed_as_parameters() {
        let body = parse_query(V3_QUERY);
        assert_eq!(
            canonical_request("POST", "/hello-world", "", &body),
            format!("POST&/hello-world&{V3_PARAMS}")
        );
        assert_eq!(
            hash("POST", "/hello-world", "", &body),
            "d7e7f00660965fc15745b2c423a89b85d0853c4463faca362e0371d008eb0927"
        );
        assert_eq!(
            request("POST", "/hello-world", ""),
            (
                "POST&/hello-world&".to_owned(),
                "6f95f3738e1b037a3bebbe0ad237d80fdbc1d5ae452e98ce03a9c004c178ebb4".to_owned()
            )
        );
    }

    #[test]
    fn v6_v7_v14_empty_queries_keep_both_separators() {
        for path in ["/path", "/path/", "path"] {
            assert_eq!(
                request("GET", path, ""),
                (
                    "GET&/path&".to_owned(),
                    "799be84a7fa35570087163c0cd9af3abff7ac05c2c12ba0bb1d7eebc984b3ac2".to_owned()
                ),
                "{path}"
            );
        }
        for path in ["", "/"] {
            assert_eq!(
                request("get", path, ""),
                (
                    "GET&/&".to_owned(),
                    "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239".to_owned()
                ),
                "{path:?}"
            );
        }
        assert_eq!(
            request("GET", "/example", "").1,
            "0073e2edb5df6a8af18c4398d32532f2b46a05295d10fac402131dd044032a61"
        );
    }

    #[test]
    fn v8_parameters_without_a_value_hash_as_empty() {
        assert_eq!(
            request("GET", "/hello-world?a&b=foo&c", "").0,
            "GET&/hello-world&a=&b=foo&c="
        );
    }

    #[test]
    fn v9_v10_v11_an_ampersand_in_the_path_is_escaped() {
        assert_eq!(
            request("POST", "/jira/rest/api/2/project/jira&a=b&c=d?x=y", "/jira").0,
            "POST&/rest/api/2/project/jira%26a=b%26c=d&x=y"
        );
        assert_eq!(
            request("GET", "/jira/rest/api/2/project/jira?x=y", "/jira").0,
            "GET&/rest/api/2/project/jira&x=y"
        );
        assert_eq!(
            request("POST", "/rest/api/2/project&a=b?x=y", "").0,
            "POST&/rest/api/2/project%26a=b&x=y"
        );
    }

    #[test]
    fn v12_upper_case_names_sort_before_lower_case() {
        assert_eq!(
            request("GET", "/path/to/service?a=1&A=2&b=3&B=4", ""),
            (
                "GET&/path/to/service&A=2&B=4&a=1&b=3".to_owned(),
                "70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5".to_owned()
            )
        );
    }

    #[test]
    fn v13_only_unreserved_characters_stay_unencoded() {
        assert_eq!(
            request("GET", "/example?query=x y,z%2B*~", "").0,
            "GET&/example&query=x%20y%2Cz%2B%2A~"
        );
    }

    #[test]
    fn x1_to_x6_regression_vectors() {
        let cases = [
            (
                "/rest/api/3/search?jql=project%20%3D%20ABC%20AND%20summary~%22a*b%22&fields=*all&q=caf%C3%A9+x",
                "",
                "GET&/rest/api/3/search&fields=%2Aall&jql=project%20%3D%20ABC%20AND%20summary~%22a%2Ab%22&q=caf%C3%A9%20x",
                "21cfdb7de51ee50c3a7052a12ae9eb50201e18a63e23604b8160b588a0d96793",
            ),
            (
                "/p?x=b&x=a&x=B",
                "",
                "GET&/p&x=B,a,b",
                "04829dd4a1b03bde94fa1c219254ae9837b46d09cd936fd40d41109b4e8398e8",
            ),
            (
                "/wiki/rest/api/space?limit=10",
                "/wiki",
                "GET&/rest/api/space&limit=10",
                "a0cbb78dba023342885eae52d8bb83a0e04c399d437f4f6601e4f7ae50b901ea",
            ),
            (
                "/p?az=1&a%C3%A9=2",
                "",
                "GET&/p&a%C3%A9=2&az=1",
                "e497dfc2118b27506b81c351ef47d4bb4e2cada48cb97a2f72fd63e6ef887c45",
            ),
            (
                "/p?a%20b=c%2Cd&e[]=1",
                "",
                "GET&/p&a%20b=c%2Cd&e%5B%5D=1",
                "1dc4ecbe0c1072583b74d6e5402cdf275151a24f7967d4dd5f5e70db47987241",
            ),
        ];
        for (target, base, canonical, hash) in cases {
            assert_eq!(
                request("GET", target, base),
                (canonical.to_owned(), hash.to_owned()),
                "{target}"
            );
        }
        // X4: a lifecycle callback to an app whose baseUrl has a path.
        assert_eq!(
            request("POST", "/connect/installed", "/connect"),
            (
                "POST&/installed&".to_owned(),
                "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4".to_owned()
            )
        );
    }

    #[test]
    fn the_base_path_is_removed_only_on_a_segment_boundary() {
        assert_eq!(canonical_path("/jiranot/x", "/jira"), "/jiranot/x");
        assert_eq!(canonical_path("/jira", "/jira/"), "/");
        assert_eq!(canonical_path("/jira/x/", "/jira"), "/x");
    }
}
