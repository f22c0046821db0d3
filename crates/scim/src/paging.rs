//! Reading a listing page by page with `startIndex` / `count` (RFC 7644 §3.4.2.4), without
//! trusting `totalResults`.
//!
//! The [`Pager`] decides what to ask for next from what the pages held, not from what they
//! claimed: it moves on by the number of resources a page actually held, stops at an empty page or
//! at a short one, and never asks for more pages than the resources seen allow, plus one. The
//! provider's `totalResults` only ever makes it ask once more (a provider may cap its pages below
//! the `count` asked for); pages that contradict each other fail the whole read.

use crate::errors::ScimError;
use dirsync_runtime::lenient::optional_u64;
use dirsync_runtime::{KEPT_BODY, truncate};
use serde_json::Value;
use std::collections::HashSet;

/// One page of a `ListResponse`.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ListPage {
    /// `totalResults`, as claimed.
    pub(crate) total_results: Option<u64>,
    /// `startIndex`, as claimed.
    pub(crate) start_index: Option<u64>,
    /// `Resources`.
    pub(crate) resources: Vec<Value>,
}

impl ListPage {
    /// A page from a `ListResponse` body. Its numbers are read leniently
    /// ([`dirsync_runtime::lenient`]): one that is not a count is not given, and the pager
    /// trusts what the pages hold, not what they claim.
    ///
    /// # Errors
    /// [`ScimError::InvalidResponse`] when the body is not a list response.
    pub(crate) fn parse(body: &[u8]) -> Result<ListPage, ScimError> {
        let invalid = |reason: &str| ScimError::InvalidResponse {
            reason: format!("a page of users {reason}"),
            body: truncate(&String::from_utf8_lossy(body), KEPT_BODY),
        };
        let value: Value = serde_json::from_slice(body).map_err(|_| invalid("is not JSON"))?;
        let Value::Object(map) = value else { return Err(invalid("is not a JSON object")) };
        let number = |name: &str| map.get(name).and_then(|v| optional_u64(v).ok().flatten());
        let (total_results, start_index) = (number("totalResults"), number("startIndex"));
        let resources = match map.get("Resources").or_else(|| map.get("resources")) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => return Err(invalid("has Resources that are not a list")),
        };
        Ok(ListPage { total_results, start_index, resources })
    }
}

/// What to ask for next while reading a listing, from what the pages held.
#[derive(Debug, Clone)]
pub(crate) struct Pager {
    page_size: u64,
    next_start: u64,
    seen: u64,
    ids: HashSet<String>,
    done: bool,
}

impl Pager {
    /// A pager asking for `page_size` resources at a time (at least 1).
    pub(crate) fn new(page_size: u32) -> Pager {
        Pager {
            page_size: u64::from(page_size.max(1)),
            next_start: 1,
            seen: 0,
            ids: HashSet::new(),
            done: false,
        }
    }

    /// The next page to ask for, `(startIndex, count)`, or `None` when the listing is complete.
    pub(crate) fn next(&self) -> Option<(u64, u64)> {
        (!self.done).then_some((self.next_start, self.page_size))
    }

    /// Takes in the page answered for [`Pager::next`], with the ids of its resources.
    ///
    /// # Errors
    /// [`ScimError::Paging`] when the page contradicts what came before: a resource seen on an
    /// earlier page, a page that starts elsewhere than asked, or a listing that ends before the
    /// `totalResults` it claimed.
    pub(crate) fn accept<'a>(
        &mut self,
        page: &ListPage,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), ScimError> {
        let asked = self.next_start;
        let held = page.resources.len() as u64;
        if let Some(start) = page.start_index.filter(|s| held > 0 && *s != asked) {
            return Err(ScimError::Paging {
                reason: format!("asked for the page from startIndex {asked}, got one from {start}"),
            });
        }
        for id in ids {
            if !self.ids.insert(id.to_owned()) {
                return Err(ScimError::Paging {
                    reason: format!(
                        "user {id:?} came again on the page from startIndex {asked}; the provider \
                         may ignore startIndex"
                    ),
                });
            }
        }
        self.seen += held;
        self.next_start += held;
        let claims_more = page.total_results.is_some_and(|total| total > self.seen);
        if held == 0 {
            self.done = true;
            if let Some(total) = page.total_results.filter(|_| claims_more) {
                return Err(ScimError::Paging {
                    reason: format!(
                        "it said there are {total} users, but its pages ended after {}",
                        self.seen
                    ),
                });
            }
        } else if held < self.page_size {
            if claims_more {
                // A provider may hand out fewer than asked for; ask once more at its own size.
                self.page_size = held;
            } else {
                self.done = true;
            }
        }
        Ok(())
    }

    /// How many resources were taken in.
    #[cfg(test)]
    fn seen(&self) -> u64 {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Serves `items` like a provider with a page cap of `cap` that claims `total` (or the truth),
    /// and returns what was read and how many pages were asked for.
    fn read(
        items: usize,
        page_size: u32,
        cap: u64,
        total: Option<u64>,
    ) -> (Result<u64, ScimError>, u32) {
        let mut pager = Pager::new(page_size);
        let mut asked = 0;
        while let Some((start, count)) = pager.next() {
            asked += 1;
            assert!(asked < 1000, "the pager never stops");
            let from = usize::try_from(start - 1).unwrap_or(usize::MAX).min(items);
            let to = (from + usize::try_from(count.min(cap)).unwrap_or(usize::MAX)).min(items);
            let ids: Vec<String> = (from..to).map(|i| format!("u{i}")).collect();
            let page = ListPage {
                total_results: Some(total.unwrap_or(items as u64)),
                start_index: Some(start),
                resources: ids.iter().map(|id| json!({ "id": id })).collect(),
            };
            if let Err(e) = pager.accept(&page, ids.iter().map(String::as_str)) {
                return (Err(e), asked);
            }
        }
        (Ok(pager.seen()), asked)
    }

    #[test]
    fn a_listing_ends_at_a_short_page_without_asking_again() {
        let (read_all, asked) = read(12, 5, 1000, None);
        assert_eq!(read_all.ok(), Some(12));
        assert_eq!(asked, 3);
    }

    #[test]
    fn an_exact_multiple_ends_at_the_empty_page_after_it() {
        let (read_all, asked) = read(10, 5, 1000, None);
        assert_eq!(read_all.ok(), Some(10));
        assert_eq!(asked, 3);
    }

    #[test]
    fn a_total_that_is_too_small_does_not_stop_the_read() {
        let (read_all, _) = read(23, 5, 1000, Some(3));
        assert_eq!(read_all.ok(), Some(23));
    }

    #[test]
    fn a_total_that_is_too_big_fails_after_one_more_page() {
        let (read_all, asked) = read(7, 5, 1000, Some(100));
        assert!(matches!(read_all, Err(ScimError::Paging { .. })), "{read_all:?}");
        assert!(asked <= 7 / 5 + 2, "{asked} pages asked for 7 users");
    }

    #[test]
    fn a_provider_that_caps_its_pages_is_read_whole() {
        let (read_all, _) = read(12, 100, 5, None);
        assert_eq!(read_all.ok(), Some(12));
    }

    #[test]
    fn a_repeated_page_fails_the_read() {
        let mut pager = Pager::new(2);
        let page = ListPage {
            total_results: Some(10),
            start_index: None,
            resources: vec![json!({"id": "a"}), json!({"id": "b"})],
        };
        assert!(pager.accept(&page, ["a", "b"]).is_ok());
        let again = pager.accept(&page, ["a", "b"]);
        assert!(matches!(again, Err(ScimError::Paging { .. })), "{again:?}");
    }

    #[test]
    fn a_page_that_starts_elsewhere_fails_the_read() {
        let mut pager = Pager::new(2);
        let page = ListPage {
            total_results: None,
            start_index: Some(7),
            resources: vec![json!({"id": "a"})],
        };
        assert!(matches!(pager.accept(&page, ["a"]), Err(ScimError::Paging { .. })));
    }

    #[test]
    fn list_pages_are_parsed_leniently_but_not_blindly() {
        let page = ListPage::parse(br#"{"totalResults":0,"itemsPerPage":0,"startIndex":1}"#);
        assert!(page.is_ok_and(|p| p.resources.is_empty() && p.total_results == Some(0)));
        assert!(ListPage::parse(b"<html>").is_err());
        assert!(ListPage::parse(br#"{"Resources":{"id":"a"}}"#).is_err());
        for odd in [r#""many""#, "-1", "{}"] {
            let body = format!(r#"{{"totalResults":{odd},"startIndex":{odd}}}"#);
            let page = ListPage::parse(body.as_bytes());
            assert!(page.is_ok_and(|p| (p.total_results, p.start_index) == (None, None)), "{odd}");
        }
        let page = ListPage::parse(br#"{"totalResults":"7","startIndex":1.0}"#);
        assert!(page.is_ok_and(|p| (p.total_results, p.start_index) == (Some(7), Some(1))));
    }
}
