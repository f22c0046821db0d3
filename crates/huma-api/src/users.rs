//! Users: the paged list, each user's details, updates and creation.

use crate::client::Body;
use crate::model::{UserDetails, UserDetailsInput, UserInput, UserPage, UserSummary};
use crate::{HumaClient, HumaError, HumaUserId};
use futures::channel::mpsc;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use std::collections::HashSet;

/// The most users Huma returns in one page.
pub const PAGE_SIZE: u64 = 50;

impl HumaClient {
    /// One page of users: `GET /users?limit=..&offset=..` (inactive users included).
    ///
    /// # Errors
    /// The request failed or was refused.
    pub async fn list_users(&self, offset: u64, limit: u64) -> Result<UserPage, HumaError> {
        let query = [("limit", limit.to_string()), ("offset", offset.to_string())];
        self.call_json(Method::GET, &["users"], &query, Body::None).await
    }

    /// Every user in the list, following the pages: until `total` is reached or a page comes
    /// back short. Once the first page gives `total`, the other pages are read in parallel.
    ///
    /// # Errors
    /// Any page failed: no partial list is returned.
    pub async fn all_users(&self) -> Result<Vec<UserSummary>, HumaError> {
        self.user_pages()
            .map_ok(|page| stream::iter(page).map(Ok))
            .try_flatten()
            .try_collect()
            .await
    }

    /// The users Huma's search finds for `text` (it matches names and emails):
    /// `GET /users?search=..`, every page.
    ///
    /// # Errors
    /// Any page failed: no partial list is returned.
    pub async fn search_users(&self, text: &str) -> Result<Vec<UserSummary>, HumaError> {
        let mut found = Vec::new();
        loop {
            let query = [
                ("limit", PAGE_SIZE.to_string()),
                ("offset", found.len().to_string()),
                ("search", text.to_owned()),
            ];
            let page: UserPage =
                self.call_json(Method::GET, &["users"], &query, Body::None).await?;
            let short = (page.items.len() as u64) < PAGE_SIZE;
            found.extend(page.items);
            let done = page.total.is_some_and(|total| found.len() as u64 >= total);
            if short || done {
                return Ok(found);
            }
        }
    }

    /// One user in full: `GET /users/{id}`.
    ///
    /// # Errors
    /// [`HumaError::NotFound`] when there is no such user; other failures.
    pub async fn user(&self, id: &HumaUserId) -> Result<UserDetails, HumaError> {
        self.call_json(Method::GET, &["users", id.as_str()], &[], Body::None).await
    }

    /// Every user in full: the list, then each user's details, read
    /// [`HumaClient::detail_concurrency`] at a time while later list pages are still arriving.
    /// A user listed twice (the list shifted while it was read) is read once.
    ///
    /// # Errors
    /// Any page or detail failed: no partial result is returned.
    pub async fn all_user_details(&self) -> Result<Vec<UserDetails>, HumaError> {
        self.map_all_user_details(|details| details).await
    }

    /// As [`HumaClient::all_user_details`], turning each user's details into a `T` as soon as
    /// they arrive, so that a large organisation's raw details are never all held at once.
    ///
    /// # Errors
    /// As [`HumaClient::all_user_details`].
    pub async fn map_all_user_details<T, F>(&self, map: F) -> Result<Vec<T>, HumaError>
    where
        F: Fn(UserDetails) -> T + Sync,
    {
        let map = &map;
        // The list is read on its own, not as the details' upstream: a details stage that is full
        // stops polling its upstream, and a list page left unpolled while it holds its turn for
        // the token refresh holds every other request up with it.
        let (listed, to_read) = mpsc::unbounded();
        let list = async move {
            let mut seen = HashSet::new();
            let mut pages = self.user_pages();
            while let Some(page) = pages.try_next().await? {
                for user in page.into_iter().filter(|user| seen.insert(user.id.clone())) {
                    // The receiver only goes when the details failed, and then so does the read.
                    let _ = listed.unbounded_send(user.id);
                }
            }
            Ok(())
        };
        let details = to_read
            .map(|id: HumaUserId| async move { self.user(&id).await.map(map) })
            .buffer_unordered(self.detail_concurrency())
            .try_collect::<Vec<T>>();
        let ((), all) = futures::try_join!(list, details)?;
        tracing::debug!(users = all.len(), "read every Huma user's details");
        Ok(all)
    }

    /// Updates a user: `PATCH /users/{id}` with only the keys set in `input`.
    ///
    /// # Errors
    /// Huma refused a value ([`HumaError::InvalidField`] names the fields), or the user is gone.
    pub async fn update_user(
        &self,
        id: &HumaUserId,
        input: &UserDetailsInput,
    ) -> Result<UserDetails, HumaError> {
        self.call_json(Method::PATCH, &["users", id.as_str()], &[], Body::json(input)?).await
    }

    /// Creates a user: `POST /users`.
    ///
    /// # Errors
    /// Huma refused the user, e.g. an email already in use.
    pub async fn create_user(&self, input: &UserInput) -> Result<UserSummary, HumaError> {
        self.call_json(Method::POST, &["users"], &[], Body::json(input)?).await
    }

    /// The list's pages: with a `total`, every page up to it, read at once and taken as they
    /// come (so one slow page holds back no other page's details); without one, one page after
    /// another until a short one (without asking for the page after it).
    fn user_pages(&self) -> BoxStream<'_, Result<Vec<UserSummary>, HumaError>> {
        let concurrency = self.detail_concurrency();
        stream::once(self.list_users(0, PAGE_SIZE))
            .map_ok(move |first| {
                let full = first.items.len() as u64 >= PAGE_SIZE;
                let rest: BoxStream<'_, Result<Vec<UserSummary>, HumaError>> = match first.total {
                    _ if !full => stream::empty().boxed(),
                    Some(total) => stream::iter((PAGE_SIZE..total).step_by(PAGE_SIZE as usize))
                        .map(move |offset| self.list_users(offset, PAGE_SIZE))
                        .buffer_unordered(concurrency)
                        .map_ok(|page| page.items)
                        .boxed(),
                    None => stream::try_unfold(Some(PAGE_SIZE), move |offset| async move {
                        let Some(offset) = offset else { return Ok(None) };
                        let page = self.list_users(offset, PAGE_SIZE).await?;
                        let next =
                            (page.items.len() as u64 >= PAGE_SIZE).then_some(offset + PAGE_SIZE);
                        Ok(Some((page.items, next)))
                    })
                    .boxed(),
                };
                stream::once(std::future::ready(Ok(first.items))).chain(rest)
            })
            .try_flatten()
            .boxed()
    }
}
