use super::*;
use time::macros::{date, datetime};

const ID: &str = "AbCdEf012345";
const SECRET: &str = "0123456789abcdefghijABCDEFGHIJklmnopqrstUVW";

fn fixed_token() -> String {
    assemble(ID, SECRET)
}

#[test]
fn generated_token_has_prefix_fixed_length_and_base62_body() {
    let token = NewAccessToken::generate().unwrap();
    let text = token.plaintext().expose();
    assert_eq!(TOKEN_LEN, 65);
    assert_eq!(text.len(), TOKEN_LEN);
    assert!(text.starts_with("jbc_"));
    assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(&text[4..16], token.token_id.as_str());
}

#[test]
fn generated_token_parses_and_matches_its_own_hash() {
    let token = NewAccessToken::generate().unwrap();
    let presented = PresentedToken::parse(token.plaintext().expose()).unwrap();
    assert_eq!(presented.token_id(), &token.token_id);
    assert!(presented.matches(&token.secret_hash));
}

#[test]
fn hash_is_sha256_of_the_secret_part() {
    let token = NewAccessToken::from_parts(ID.to_owned(), SECRET);
    assert_eq!(token.secret_hash, sha256(SECRET.as_bytes()));
}

#[test]
fn random_tokens_differ() {
    let a = NewAccessToken::generate().unwrap();
    let b = NewAccessToken::generate().unwrap();
    assert_ne!(a.plaintext().expose(), b.plaintext().expose());
    assert_ne!(a.token_id, b.token_id);
    assert_ne!(a.secret_hash, b.secret_hash);
}

#[test]
fn random_characters_cover_the_whole_alphabet() {
    // 62 symbols over ~5,500 draws: every symbol appears unless sampling is broken.
    let mut seen = [false; 128];
    for _ in 0..100 {
        let token = NewAccessToken::generate().unwrap();
        for b in token.plaintext().expose()[4..59].bytes() {
            seen[usize::from(b)] = true;
        }
    }
    assert!(BASE62.iter().all(|&b| seen[usize::from(b)]));
}

#[test]
fn checksum_is_six_base62_digits() {
    let check = checksum(ID, SECRET);
    assert_eq!(check.len(), 6);
    assert!(check.bytes().all(is_base62));
}

#[test]
fn checksum_catches_a_single_changed_character_at_every_position() {
    let token = fixed_token();
    assert!(PresentedToken::parse(&token).is_ok());
    for position in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        let original = bytes[position];
        bytes[position] = if original == b'z' { b'y' } else { b'z' };
        let altered = String::from_utf8(bytes).unwrap();
        let expected = if position < TOKEN_PREFIX.len() {
            TokenFormatError::WrongPrefix
        } else {
            TokenFormatError::ChecksumMismatch
        };
        assert_eq!(
            PresentedToken::parse(&altered).err(),
            Some(expected),
            "position {position}"
        );
    }
}

#[test]
fn swapped_neighbours_are_caught() {
    let token = fixed_token();
    let mut bytes = token.into_bytes();
    bytes.swap(20, 21);
    let swapped = String::from_utf8(bytes).unwrap();
    assert_eq!(
        PresentedToken::parse(&swapped).err(),
        Some(TokenFormatError::ChecksumMismatch)
    );
}

#[test]
fn wrong_prefix_is_rejected() {
    let body = &fixed_token()[4..];
    for prefix in ["jbx_", "JBC_", "ghp_", ""] {
        assert_eq!(
            PresentedToken::parse(&format!("{prefix}{body}")).err(),
            Some(TokenFormatError::WrongPrefix)
        );
    }
}

#[test]
fn wrong_length_is_rejected() {
    let token = fixed_token();
    assert_eq!(
        PresentedToken::parse(&token[..64]).err(),
        Some(TokenFormatError::WrongLength)
    );
    assert_eq!(
        PresentedToken::parse(&format!("{token}A")).err(),
        Some(TokenFormatError::WrongLength)
    );
    assert_eq!(
        PresentedToken::parse("jbc_").err(),
        Some(TokenFormatError::WrongLength)
    );
}

#[test]
fn non_base62_characters_are_rejected() {
    let token = fixed_token();
    for bad in ["-", "_", "+", "/", "=", " ", "é"] {
        let altered = format!("{}{}{}", &token[..30], bad, &token[30 + bad.len()..]);
        assert_eq!(altered.len(), TOKEN_LEN);
        assert_eq!(
            PresentedToken::parse(&altered).err(),
            Some(TokenFormatError::InvalidCharacter),
            "{bad:?}"
        );
    }
}

#[test]
fn empty_and_surrounding_whitespace() {
    assert_eq!(
        PresentedToken::parse("").err(),
        Some(TokenFormatError::Empty)
    );
    assert_eq!(
        PresentedToken::parse("  \n").err(),
        Some(TokenFormatError::Empty)
    );
    let padded = format!("  {}\r\n", fixed_token());
    assert_eq!(
        PresentedToken::parse(&padded).unwrap().token_id().as_str(),
        ID
    );
}

#[test]
fn error_texts_never_echo_the_token() {
    let token = fixed_token();
    let mut broken = token.clone().into_bytes();
    broken[40] = if broken[40] == b'z' { b'y' } else { b'z' };
    let broken = String::from_utf8(broken).unwrap();
    let err = PresentedToken::parse(&broken).err().unwrap();
    let text = err.to_string();
    assert!(!text.contains(ID));
    assert!(!text.contains(&token[16..30]));
}

#[test]
fn matches_is_true_only_for_the_stored_hash() {
    let presented = PresentedToken::parse(&fixed_token()).unwrap();
    assert!(presented.matches(&sha256(SECRET.as_bytes())));
    assert!(!presented.matches(&sha256(b"another secret")));
    assert!(!presented.matches(&[]));
    assert!(!presented.matches(&sha256(SECRET.as_bytes())[..31]));
}

#[test]
fn debug_output_hides_secret_and_hash() {
    let token = NewAccessToken::from_parts(ID.to_owned(), SECRET);
    let debug = format!("{token:?}");
    assert!(debug.contains(ID));
    assert!(!debug.contains(SECRET));
    assert!(!debug.contains("secret_hash"));
    assert_eq!(token.plaintext().to_string(), "***");
    let presented = PresentedToken::parse(&fixed_token()).unwrap();
    assert!(!format!("{presented:?}").contains("secret_hash"));
}

#[test]
fn token_id_parses_stored_ids() {
    assert_eq!(TokenId::parse(ID).unwrap().as_str(), ID);
    assert_eq!(TokenId::parse(ID).unwrap().to_string(), ID);
    assert_eq!(
        TokenId::parse("short").err(),
        Some(TokenFormatError::WrongLength)
    );
    assert_eq!(
        TokenId::parse("AbCdEf01234-").err(),
        Some(TokenFormatError::InvalidCharacter)
    );
}

#[test]
fn label_is_trimmed() {
    let label = TokenLabel::parse("  Power BI laptop \t").unwrap();
    assert_eq!(label.as_str(), "Power BI laptop");
}

#[test]
fn label_is_required() {
    assert_eq!(TokenLabel::parse(""), Err("Enter a label"));
    assert_eq!(TokenLabel::parse("   \n "), Err("Enter a label"));
}

#[test]
fn label_of_100_characters_is_accepted_and_101_rejected() {
    assert!(TokenLabel::parse(&"a".repeat(100)).is_ok());
    assert_eq!(
        TokenLabel::parse(&"a".repeat(101)),
        Err("The label must be at most 100 characters")
    );
    assert_eq!(
        TokenLabel::parse(&"a".repeat(10_000)),
        Err("The label must be at most 100 characters")
    );
}

#[test]
fn label_length_counts_characters_not_bytes() {
    let hundred_multibyte = "é".repeat(50) + &"🙂".repeat(50);
    assert_eq!(hundred_multibyte.chars().count(), 100);
    assert!(hundred_multibyte.len() > 100);
    assert!(TokenLabel::parse(&hundred_multibyte).is_ok());
    assert!(TokenLabel::parse(&"ü".repeat(101)).is_err());
}

#[test]
fn label_rejects_control_characters() {
    for bad in [
        "a\tb",
        "a\nb",
        "a\u{0}b",
        "a\u{7f}b",
        "a\u{85}b",
        "a\u{202E}b",
    ] {
        assert_eq!(
            TokenLabel::parse(bad),
            Err("The label must not contain control characters such as tabs or line breaks"),
            "{bad:?}"
        );
    }
}

#[test]
fn label_keeps_html_verbatim() {
    let raw = "<script>alert('x')</script> & \"quotes\"";
    assert_eq!(TokenLabel::parse(raw).unwrap().as_str(), raw);
}

#[test]
fn label_normalized_is_lowercase() {
    let label = TokenLabel::parse("Power BI ÄÖ").unwrap();
    assert_eq!(label.normalized(), "power bi äö");
    assert_eq!(label.as_str(), "Power BI ÄÖ");
}

const TODAY: Date = date!(2025 - 06 - 15);

#[test]
fn empty_expiry_means_never() {
    assert_eq!(ExpiryDate::parse("", TODAY), Ok(None));
    assert_eq!(ExpiryDate::parse("   ", TODAY), Ok(None));
}

#[test]
fn expiry_today_and_future_are_accepted() {
    let today = ExpiryDate::parse("2025-06-15", TODAY).unwrap().unwrap();
    assert_eq!(today.date(), TODAY);
    let future = ExpiryDate::parse(" 2030-01-31 ", TODAY).unwrap().unwrap();
    assert_eq!(future.date(), date!(2030 - 01 - 31));
    assert_eq!(future.to_string(), "2030-01-31");
}

#[test]
fn expiry_in_the_past_is_rejected() {
    assert_eq!(
        ExpiryDate::parse("2025-06-14", TODAY),
        Err("The expiry date must be today or later")
    );
    assert_eq!(
        ExpiryDate::parse("1999-01-01", TODAY),
        Err("The expiry date must be today or later")
    );
}

#[test]
fn malformed_expiry_is_rejected_with_a_format_hint() {
    for bad in [
        "tomorrow",
        "2025/06/20",
        "20-06-2025",
        "2025-6-20",
        "2025-06-20T00:00",
        "+2025-06-20",
        "２０２５-06-20",
    ] {
        let err = ExpiryDate::parse(bad, TODAY).unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{bad:?}: {err}");
        assert!(err.starts_with("Enter the expiry date"), "{bad:?}: {err}");
    }
}

#[test]
fn impossible_calendar_dates_are_rejected() {
    for bad in [
        "2026-13-01",
        "2026-00-10",
        "2026-02-30",
        "2027-02-29",
        "2026-04-31",
    ] {
        assert_eq!(
            ExpiryDate::parse(bad, TODAY),
            Err("That date does not exist; enter a real calendar date as YYYY-MM-DD"),
            "{bad:?}"
        );
    }
    assert!(ExpiryDate::parse("2028-02-29", TODAY).unwrap().is_some());
}

#[test]
fn expires_at_is_the_last_second_of_the_day_in_utc() {
    let expiry = ExpiryDate::parse("2025-06-20", TODAY).unwrap().unwrap();
    assert_eq!(expiry.expires_at(), datetime!(2025-06-20 23:59:59 UTC));
}

#[test]
fn token_is_valid_through_the_end_of_its_expiry_day() {
    let expiry = Some(date!(2025 - 06 - 20));
    assert!(!is_expired_at(expiry, datetime!(2025-06-19 12:00 UTC)));
    assert!(!is_expired_at(expiry, datetime!(2025-06-20 00:00 UTC)));
    assert!(!is_expired_at(expiry, datetime!(2025-06-20 23:59:59 UTC)));
    assert!(!is_expired_at(
        expiry,
        datetime!(2025-06-20 23:59:59.999 UTC)
    ));
    assert!(is_expired_at(expiry, datetime!(2025-06-21 00:00 UTC)));
    assert!(is_expired_at(expiry, datetime!(2026-01-01 00:00 UTC)));
    // The boundary is UTC midnight, whatever offset `now` carries.
    assert!(is_expired_at(expiry, datetime!(2025-06-20 21:00 -05:00)));
    assert!(!is_expired_at(expiry, datetime!(2025-06-21 01:00 +02:00)));
    let stored = ExpiryDate::from_stored(date!(2025 - 06 - 20));
    assert!(stored.is_expired_at(datetime!(2025-06-21 00:00 UTC)));
}

#[test]
fn a_token_expires_soon_in_its_last_seven_days_only() {
    // Stops working at 2025-06-21 00:00 UTC.
    let expiry = ExpiryDate::from_stored(date!(2025 - 06 - 20));
    assert_eq!(expiry.ends_at(), datetime!(2025-06-21 00:00 UTC));
    let ends = expiry.ends_at();
    let in_6_days_23_hours = ends - Duration::days(6) - Duration::hours(23);
    let in_7_days_1_hour = ends - Duration::days(7) - Duration::hours(1);
    assert!(expiry.expires_soon_at(in_6_days_23_hours));
    assert!(!expiry.expires_soon_at(in_7_days_1_hour));
    assert!(expiry.expires_soon_at(ends - EXPIRY_WARNING));
    assert!(expiry.expires_soon_at(datetime!(2025-06-20 23:59:59 UTC)));
    // Once expired it is no longer "soon": the list says Expired instead.
    assert!(!expiry.expires_soon_at(ends));
}

#[test]
fn stored_expiry_may_lie_in_the_past() {
    let stored = ExpiryDate::parse_stored("2001-02-03").unwrap();
    assert_eq!(stored.date(), date!(2001 - 02 - 03));
    assert!(ExpiryDate::parse_stored("").is_err());
    assert!(ExpiryDate::parse_stored("2001-02-30").is_err());
}

#[test]
fn form_ids_are_random_and_round_trip() {
    let a = FormId::generate().unwrap();
    let b = FormId::generate().unwrap();
    assert_ne!(a, b);
    assert_eq!(FormId::parse(a.as_str()), Ok(a));
    for bad in [
        "",
        "short",
        &"a".repeat(23),
        "aaaaaaaaaaaaaaaaaaaa+/",
        "ééééééééééé",
    ] {
        assert!(FormId::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn no_expiry_never_expires() {
    assert!(!is_expired_at(None, datetime!(9999-12-31 23:59:59 UTC)));
}
