//! Server-driven paging shared by OData (`$skiptoken`) and the JSON feed (`cursor`): where a
//! page starts, how many rows it may hold (page size and what is left of `$top`), and the cursor
//! for the next page — issued only when there may be more and `$top` is not yet reached.

use super::cursor::{Cursor, CursorCodec, fingerprint};
use super::error::FeedError;
use super::export::Resume;
use super::query::FeedOptions;
use crate::datasources::store::DataSource;

/// One page's place in the whole result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// `None`: the first page.
    pub start: Option<Resume>,
    /// Rows to pass over first (`$skip`, on the first page only).
    pub skip: u64,
    /// Rows this page may hold.
    pub limit: u64,
    /// Rows sent on earlier pages.
    pub sent_before: u64,
    /// `$count` established on the first page.
    pub count: Option<u64>,
    top: Option<u64>,
    fingerprint: String,
}

/// What a paging cursor is bound to: the endpoint, the data source as it is now, and the options.
pub fn request_fingerprint(
    endpoint: &str,
    data_source: &DataSource,
    options: &FeedOptions,
) -> String {
    let id = data_source.id.to_string();
    let version = data_source.updated_at.to_string();
    let fields = data_source.fields.join("\n");
    let mut parts: Vec<&str> = vec![endpoint, &id, &version, &data_source.jql, &fields];
    parts.extend(options.defining.iter().map(String::as_str));
    fingerprint(&parts)
}

impl Page {
    /// The page a request asks for: the first one, or the one `token` points at.
    pub fn resolve(
        codec: &CursorCodec,
        token: Option<&str>,
        fingerprint: String,
        options: &FeedOptions,
        page_size: u64,
    ) -> Result<Page, FeedError> {
        let cursor = token
            .map(|token| codec.decode(token, &fingerprint))
            .transpose()
            .map_err(|err| FeedError::bad_request(err.to_string()))?;
        let sent_before = cursor.as_ref().map_or(0, |c| c.sent);
        let remaining = options.top.map(|top| top.saturating_sub(sent_before));
        let limit = remaining.map_or(page_size, |left| left.min(page_size));
        Ok(Page {
            start: cursor.as_ref().map(|c| Resume {
                page_token: c.page_token.clone(),
                offset: c.offset,
                within: c.within,
                variant: c.variant,
            }),
            skip: if cursor.is_some() { 0 } else { options.skip },
            limit,
            sent_before,
            count: cursor.and_then(|c| c.count),
            top: options.top,
            fingerprint,
        })
    }

    /// The cursor of the page after this one, if there is one: the export stopped with more to
    /// read (`resume`) and `$top` is not reached.
    pub fn next(&self, resume: Option<Resume>, rows: u64, count: Option<u64>) -> Option<Cursor> {
        let resume = resume?;
        let sent = self.sent_before + rows;
        if self.top.is_some_and(|top| sent >= top) {
            return None;
        }
        Some(Cursor {
            page_token: resume.page_token,
            offset: resume.offset,
            within: resume.within,
            variant: resume.variant,
            sent,
            count,
            query: self.fingerprint.clone(),
        })
    }
}

/// The absolute link to the page after one: `base` is the request's URL up to the cursor's
/// value (ending in `cursor=` or `$skiptoken=`), the signed cursor is appended.
pub struct NextLink {
    base: String,
    page: Page,
    codec: CursorCodec,
}

impl NextLink {
    pub fn new(base: String, page: Page, codec: CursorCodec) -> Self {
        Self { base, page, codec }
    }

    /// The link after this page's `rows`, as a JSON string; `None` on the last page.
    pub fn json(&self, resume: Option<Resume>, rows: u64, count: Option<u64>) -> Option<Vec<u8>> {
        let cursor = self.page.next(resume, rows, count)?;
        let link = format!("{}{}", self.base, self.codec.encode(&cursor));
        Some(serde_json::to_vec(&link).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(top: Option<u64>, skip: u64) -> FeedOptions {
        FeedOptions {
            top,
            skip,
            ..FeedOptions::default()
        }
    }

    fn resume() -> Resume {
        Resume {
            page_token: Some("t".into()),
            offset: 3,
            within: 2,
            variant: 0,
        }
    }

    #[test]
    fn pages_respect_the_page_size_and_what_is_left_of_top() {
        let codec = CursorCodec::new([3; 32]);
        let first =
            Page::resolve(&codec, None, "fp".into(), &options(Some(250), 10), 100).expect("ok");
        assert_eq!(
            (first.limit, first.skip, first.start.clone()),
            (100, 10, None)
        );
        let next = first
            .next(Some(resume()), 100, Some(900))
            .expect("a next page");
        assert_eq!((next.sent, next.count, next.offset), (100, Some(900), 3));
        let token = codec.encode(&next);
        let second = Page::resolve(
            &codec,
            Some(&token),
            "fp".into(),
            &options(Some(250), 10),
            100,
        )
        .expect("ok");
        assert_eq!(
            (second.limit, second.skip, second.sent_before),
            (100, 0, 100)
        );
        assert_eq!(second.start, Some(resume()));
        let third = Page::resolve(
            &codec,
            Some(&codec.encode(&second.next(Some(resume()), 100, None).expect("next"))),
            "fp".into(),
            &options(Some(250), 10),
            100,
        )
        .expect("ok");
        assert_eq!(third.limit, 50);
        assert_eq!(third.next(Some(resume()), 50, None), None, "$top reached");
        assert_eq!(first.next(None, 100, None), None, "nothing left");
    }

    #[test]
    fn a_token_for_another_request_is_a_bad_request() {
        let codec = CursorCodec::new([3; 32]);
        let page = Page::resolve(&codec, None, "fp".into(), &options(None, 0), 10).expect("ok");
        let token = codec.encode(&page.next(Some(resume()), 10, None).expect("next"));
        let err = Page::resolve(&codec, Some(&token), "other".into(), &options(None, 0), 10)
            .expect_err("refused");
        assert_eq!(err.status.as_u16(), 400);
        let err = Page::resolve(&codec, Some("garbage"), "fp".into(), &options(None, 0), 10)
            .expect_err("refused");
        assert_eq!(err.status.as_u16(), 400);
    }
}
