//! Query string hash (qsh): Atlassian's canonical-request hash that binds a Connect JWT to one
//! method, path and query. Canonicalization follows Jira's Java implementation (sort by encoded
//! name, segment-aware base-path stripping), because Jira is the party that signs our page loads.

use ring::digest;

/// Parses a raw query string (or an `application/x-www-form-urlencoded` body) into decoded
/// name/value pairs, the way a servlet container does (`+` is a space, `a` alone is `a=`).
pub fn parse_params(raw: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.trim_start_matches('?').as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// The canonical request string: `METHOD&canonical-path&canonical-query`.
///
/// `path` is the request path as received (not percent-decoded); `base_path` is the path part of
/// the receiving side's base URL (the app's `baseUrl` for inbound requests, the tenant's `baseUrl`
/// for requests to Jira), stripped on a segment boundary. `params` are decoded pairs.
pub fn canonical_request(
    method: &str,
    path: &str,
    base_path: &str,
    params: &[(String, String)],
) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        canonical_path(path, base_path),
        canonical_query(params)
    )
}

/// Lower-case hex SHA-256 of the canonical request.
pub fn query_string_hash(
    method: &str,
    path: &str,
    base_path: &str,
    params: &[(String, String)],
) -> String {
    hash_canonical(&canonical_request(method, path, base_path, params))
}

/// Lower-case hex SHA-256 of an already canonical request string.
pub fn hash_canonical(canonical: &str) -> String {
    let digest = digest::digest(&digest::SHA256, canonical.as_bytes());
    digest
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn canonical_path(path: &str, base_path: &str) -> String {
    let base = base_path.trim_end_matches('/');
    let relative = if base.is_empty() {
        path
    } else if path == base {
        ""
    } else if path.starts_with(base) && path[base.len()..].starts_with('/') {
        &path[base.len()..]
    } else {
        path
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
    let mut grouped: Vec<(String, Vec<&str>)> = Vec::new();
    for (name, value) in params.iter().filter(|(name, _)| name != "jwt") {
        match grouped.iter_mut().find(|(existing, _)| existing == name) {
            Some((_, values)) => values.push(value),
            None => grouped.push((name.clone(), vec![value])),
        }
    }
    let mut encoded: Vec<(String, String)> = grouped
        .into_iter()
        .map(|(name, mut values)| {
            // Java sorts the raw values with String.compareTo, i.e. by UTF-16 code units.
            values.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            let joined = values
                .iter()
                .map(|value| percent_encode(value))
                .collect::<Vec<_>>()
                .join(",");
            (percent_encode(&name), joined)
        })
        .collect();
    encoded.sort();
    encoded
        .into_iter()
        .map(|(name, values)| format!("{name}={values}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// RFC 3986 encoding of everything but the unreserved set, upper-case hex, as the spec requires.
fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char);
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    //! The published vectors (V1–V14) and the extra regression vectors (X1–X6) from
    //! `connect-auth.md` §1.2.
    use super::*;

    fn split(url_path_and_query: &str) -> (&str, &str) {
        url_path_and_query
            .split_once('?')
            .unwrap_or((url_path_and_query, ""))
    }

    fn canonical(method: &str, path_and_query: &str, base_path: &str) -> String {
        let (path, query) = split(path_and_query);
        canonical_request(method, path, base_path, &parse_params(query))
    }

    const V1_QUERY: &str = "zee_last=param&repeated=parameter%201&first=param&repeated=parameter%202&repeated=Parameter%202";
    const V3_QUERY: &str = "lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=eyJhbGciOi&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1";
    const V3_CANONICAL: &str = "GET&/hello-world&cp=%2Fjira&lic=none&loc=en-US&tz=Australia%2FSydney&user_id=&user_key=&xdm_c=channel-servlet-hello-world&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_p=1";

    #[test]
    fn v1_repeated_parameters_are_sorted_and_joined() {
        let c = canonical("GET", &format!("/path/to/service?{V1_QUERY}"), "");
        assert_eq!(
            c,
            "GET&/path/to/service&first=param&repeated=Parameter%202,parameter%201,parameter%202&zee_last=param"
        );
        assert!(hash_canonical(&c).starts_with("9ae6056c"));
    }

    #[test]
    fn v2_base_path_is_stripped() {
        let c = canonical("GET", &format!("/base/path/to/service?{V1_QUERY}"), "/base");
        assert_eq!(
            c,
            "GET&/path/to/service&first=param&repeated=Parameter%202,parameter%201,parameter%202&zee_last=param"
        );
    }

    #[test]
    fn v3_jwt_is_dropped_and_empty_values_kept() {
        let c = canonical("get", &format!("/hello-world?{V3_QUERY}"), "");
        assert_eq!(c, V3_CANONICAL);
        assert_eq!(
            hash_canonical(&c),
            "8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9"
        );
    }

    #[test]
    fn v4_body_parameters_are_hashed_when_given() {
        let q = query_string_hash("POST", "/hello-world", "", &parse_params(V3_QUERY));
        assert_eq!(
            q,
            "d7e7f00660965fc15745b2c423a89b85d0853c4463faca362e0371d008eb0927"
        );
    }

    #[test]
    fn v5_post_without_parameters() {
        assert_eq!(
            query_string_hash("POST", "/hello-world", "", &[]),
            "6f95f3738e1b037a3bebbe0ad237d80fdbc1d5ae452e98ce03a9c004c178ebb4"
        );
    }

    #[test]
    fn v6_plain_path_and_trailing_slash() {
        for path in ["/path", "/path/", "path"] {
            assert_eq!(canonical("GET", path, ""), "GET&/path&");
        }
        assert_eq!(
            query_string_hash("GET", "/path", "", &[]),
            "799be84a7fa35570087163c0cd9af3abff7ac05c2c12ba0bb1d7eebc984b3ac2"
        );
    }

    #[test]
    fn v7_empty_path_is_root() {
        for path in ["", "/"] {
            assert_eq!(
                query_string_hash("GET", path, "", &[]),
                "c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239"
            );
        }
    }

    #[test]
    fn v8_parameters_without_values() {
        assert_eq!(
            canonical("GET", "/hello-world?a&b=foo&c", ""),
            "GET&/hello-world&a=&b=foo&c="
        );
    }

    #[test]
    fn v9_ampersand_in_path_is_encoded_after_base_stripping() {
        assert_eq!(
            canonical("POST", "/jira/rest/api/2/project/jira&a=b&c=d?x=y", "/jira"),
            "POST&/rest/api/2/project/jira%26a=b%26c=d&x=y"
        );
    }

    #[test]
    fn v10_context_path_is_stripped() {
        assert_eq!(
            canonical("GET", "/jira/rest/api/2/project/jira?x=y", "/jira"),
            "GET&/rest/api/2/project/jira&x=y"
        );
    }

    #[test]
    fn v11_ampersand_in_path_without_base() {
        assert_eq!(
            canonical("POST", "/rest/api/2/project&a=b?x=y", ""),
            "POST&/rest/api/2/project%26a=b&x=y"
        );
    }

    #[test]
    fn v12_upper_case_names_sort_first() {
        let c = canonical("GET", "/path/to/service?a=1&A=2&b=3&B=4", "");
        assert_eq!(c, "GET&/path/to/service&A=2&B=4&a=1&b=3");
        assert_eq!(
            hash_canonical(&c),
            "70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5"
        );
    }

    #[test]
    fn v13_reserved_characters_are_encoded_but_tilde_is_not() {
        assert_eq!(
            canonical("GET", "/example?query=x%20y,z%2B*~", ""),
            "GET&/example&query=x%20y%2Cz%2B%2A~"
        );
    }

    #[test]
    fn v14_no_query() {
        assert_eq!(
            query_string_hash("GET", "/example", "", &[]),
            "0073e2edb5df6a8af18c4398d32532f2b46a05295d10fac402131dd044032a61"
        );
    }

    #[test]
    fn sha256_of_foo_matches_the_documented_digest() {
        assert_eq!(
            hash_canonical("foo"),
            "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
        );
    }

    #[test]
    fn x1_jql_with_spaces_quotes_stars_and_utf8() {
        let c = canonical(
            "GET",
            "/rest/api/3/search?jql=project%20%3D%20ABC%20AND%20summary~%22a*b%22&fields=*all&q=caf%C3%A9+x",
            "",
        );
        assert_eq!(
            c,
            "GET&/rest/api/3/search&fields=%2Aall&jql=project%20%3D%20ABC%20AND%20summary~%22a%2Ab%22&q=caf%C3%A9%20x"
        );
        assert_eq!(
            hash_canonical(&c),
            "21cfdb7de51ee50c3a7052a12ae9eb50201e18a63e23604b8160b588a0d96793"
        );
    }

    #[test]
    fn x2_repeated_values_sort_case_sensitively() {
        let c = canonical("GET", "/p?x=b&x=a&x=B", "");
        assert_eq!(c, "GET&/p&x=B,a,b");
        assert_eq!(
            hash_canonical(&c),
            "04829dd4a1b03bde94fa1c219254ae9837b46d09cd936fd40d41109b4e8398e8"
        );
    }

    #[test]
    fn x3_confluence_style_context_path() {
        let c = canonical("GET", "/wiki/rest/api/space?limit=10", "/wiki/");
        assert_eq!(c, "GET&/rest/api/space&limit=10");
        assert_eq!(
            hash_canonical(&c),
            "a0cbb78dba023342885eae52d8bb83a0e04c399d437f4f6601e4f7ae50b901ea"
        );
    }

    #[test]
    fn x4_lifecycle_callback_under_an_app_base_path() {
        assert_eq!(
            query_string_hash("POST", "/connect/installed", "/connect", &[]),
            "4a2e1de8ca74e6cafe8862d332fa3ac7a8e51e692bc6d798ea4dfedc14948bf4"
        );
    }

    #[test]
    fn x5_non_ascii_names_sort_by_encoded_form_as_java_does() {
        let c = canonical("GET", "/p?az=1&a%C3%A9=2", "");
        assert_eq!(c, "GET&/p&a%C3%A9=2&az=1");
        assert_eq!(
            hash_canonical(&c),
            "e497dfc2118b27506b81c351ef47d4bb4e2cada48cb97a2f72fd63e6ef887c45"
        );
    }

    #[test]
    fn x6_brackets_and_commas_are_encoded() {
        let c = canonical("GET", "/p?a%20b=c%2Cd&e[]=1", "");
        assert_eq!(c, "GET&/p&a%20b=c%2Cd&e%5B%5D=1");
        assert_eq!(
            hash_canonical(&c),
            "1dc4ecbe0c1072583b74d6e5402cdf275151a24f7967d4dd5f5e70db47987241"
        );
    }

    #[test]
    fn base_path_is_stripped_only_on_a_segment_boundary() {
        assert_eq!(canonical("GET", "/jiraish/x", "/jira"), "GET&/jiraish/x&");
        assert_eq!(canonical("GET", "/jira", "/jira"), "GET&/&");
    }
}
