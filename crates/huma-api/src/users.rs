//! Users: the paged list, each user's details, updates and creation.

use crate::client::{HumaClient, with_json};
use crate::errors::HumaError;
use crate::ids::HumaUserId;
use crate::lenient::{Listed, read_page};
use crate::model::{UserDetails, UserDetailsInput, UserInput, UserPage, UserSummary};
use crate::paging::{Page, pages};
use futures::channel::mpsc;
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use std::collections::HashSet;
use std::future::Future;

/// The most users Huma returns in one page.
pub const PAGE_SIZE: u64 = 50;

impl HumaClient {
    /// One page of users: `GET /users?limit=..&offset=..` (inactive users included).
    ///
    /// # Errors
    /// The request failed or was refused.
    pub async fn list_users(&self, offset: u64, limit: u64) -> Result<UserPage, HumaError> {
        let query = [("limit", limit.to_string()), ("offset", offset.to_string())];
        self.call_json(self.request(Method::GET, &["users"], &query)).await
    }

    /// Every user in the list, one page after another until a short page (or the stated
    /// `total`, which is never trusted to ask for more pages than exist).
    ///
    /// # Errors
    /// Any page failed, an entry could not be read ([`HumaError::Decode`] names it; a
    /// [`HumaDirectory`](crate::HumaDirectory) keeps such a user as unreadable instead), or the
    /// pages contradict each other ([`HumaError::InconsistentPages`]): no partial list is
    /// returned.
    pub async fn all_users(&self) -> Result<Vec<UserSummary>, HumaError> {
        summaries(self.user_pages(&[]), "GET /users").await
    }

    /// The users Huma's search finds for `text` (it matches names and emails):
    /// `GET /users?search=..`, every page.
    ///
    /// # Errors
    /// As [`HumaClient::all_users`].
    pub async fn search_users(&self, text: &str) -> Result<Vec<UserSummary>, HumaError> {
        let search = [("search", text.to_owned())];
        summaries(self.user_pages(&search), "GET /users?search").await
    }

    /// The entries Huma's search finds for `text`, each read on its own.
    pub(crate) async fn search_listed(&self, text: &str) -> Result<Vec<Listed>, HumaError> {
        let search = [("search", text.to_owned())];
        let pages: Vec<Vec<Listed>> = self.user_pages(&search).try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// One group (a team, location or company): `GET /groups/{id}`, for whether it exists.
    ///
    /// # Errors
    /// [`HumaError::NotFound`] when there is no such group; other failures.
    pub async fn group_exists(&self, id: &str) -> Result<(), HumaError> {
        self.call(self.request(Method::GET, &["groups", id], &[])).await.map(|_| ())
    }

    /// One user in full: `GET /users/{id}`.
    ///
    /// # Errors
    /// [`HumaError::NotFound`] when there is no such user; other failures.
    pub async fn user(&self, id: &HumaUserId) -> Result<UserDetails, HumaError> {
        self.call_json(self.request(Method::GET, &["users", id.as_str()], &[])).await
    }

    /// Every user in full: the list, then each user's details, read
    /// [`HumaClient::max_concurrency`] at a time while later list pages are still arriving.
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
    /// As [`HumaClient::all_user_details`]; a list entry or details that cannot be read fail it
    /// too ([`HumaError::Decode`]).
    pub async fn map_all_user_details<T, F>(&self, map: F) -> Result<Vec<T>, HumaError>
    where
        F: Fn(UserDetails) -> T + Sync,
    {
        let map = &map;
        self.map_all_listed(|listed| async move {
            let summary = listed.into_summary("GET /users")?;
            self.user(&summary.id).await.map(map)
        })
        .await
    }

    /// Every entry of the list through `read`, [`HumaClient::max_concurrency`] at a time while
    /// later list pages are still arriving. An id listed twice (the list shifted while it was
    /// read) is read once.
    ///
    /// # Errors
    /// A page failed, or `read` failed for an entry: no partial result is returned.
    pub(crate) async fn map_all_listed<T, F, Fut>(&self, read: F) -> Result<Vec<T>, HumaError>
    where
        F: Fn(Listed) -> Fut,
        Fut: Future<Output = Result<T, HumaError>>,
    {
        self.map_listed(&[Vec::new()], read).await
    }

    /// As [`HumaClient::map_all_listed`], over the users of each of `listings` (the query pairs
    /// of list filters, such as `company`), one listing after another; a user listed by several
    /// is read once.
    ///
    /// # Errors
    /// As [`HumaClient::map_all_listed`].
    pub(crate) async fn map_listed<T, F, Fut>(
        &self,
        listings: &[Vec<(&'static str, String)>],
        read: F,
    ) -> Result<Vec<T>, HumaError>
    where
        F: Fn(Listed) -> Fut,
        Fut: Future<Output = Result<T, HumaError>>,
    {
        // The list is read on its own, not as the details' upstream: a details stage that is full
        // stops polling its upstream, and a list page left unpolled while it holds its turn for
        // the token refresh holds every other request up with it.
        let (listed, to_read) = mpsc::unbounded();
        let list = async move {
            let mut seen = HashSet::new();
            for filter in listings {
                let mut pages = self.user_pages(filter);
                while let Some(page) = pages.try_next().await? {
                    // An entry without an id cannot be told apart from another, so each is kept.
                    let new = |entry: &Listed| entry.id().is_none_or(|id| seen.insert(id.clone()));
                    for entry in page.into_iter().filter(new) {
                        // The receiver only goes when a read failed, and then so does the whole.
                        let _ = listed.unbounded_send(entry);
                    }
                }
            }
            Ok(())
        };
        let reads =
            to_read.map(read).buffer_unordered(self.max_concurrency()).try_collect::<Vec<T>>();
        let ((), all) = futures::try_join!(list, reads)?;
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
        let patch = self.request(Method::PATCH, &["users", id.as_str()], &[]);
        // Setting fields to values twice does no harm: sent again after a server error.
        self.call_json(with_json(patch, input)?.idempotent(true)).await
    }

    /// Creates a user: `POST /users`.
    ///
    /// # Errors
    /// Huma refused the user, e.g. an email already in use.
    pub async fn create_user(&self, input: &UserInput) -> Result<UserSummary, HumaError> {
        self.call_json(with_json(self.request(Method::POST, &["users"], &[]), input)?).await
    }

    /// The list's pages (`filter`, query pairs such as `search` or `company`, narrows it), one
    /// after another (see [`pages`]), each entry read on its own ([`read_page`]).
    fn user_pages<'a>(
        &'a self,
        filter: &'a [(&'static str, String)],
    ) -> BoxStream<'a, Result<Vec<Listed>, HumaError>> {
        let what = match filter.first() {
            None => "the users",
            Some(("search", _)) => "the users found",
            Some(_) => "the users in the scope",
        };
        pages(what, PAGE_SIZE, Listed::repeat_key, move |offset| {
            let mut query = vec![("limit", PAGE_SIZE.to_string()), ("offset", offset.to_string())];
            query.extend(filter.iter().cloned());
            async move {
                let body = self.call(self.request(Method::GET, &["users"], &query)).await?;
                let (items, total) = read_page(&body, offset)
                    .map_err(|e| HumaError::decode("GET /users", e, &body))?;
                Ok(Page { items, total })
            }
        })
    }
}

/// The entries of `pages` as summaries.
async fn summaries(
    pages: BoxStream<'_, Result<Vec<Listed>, HumaError>>,
    what: &str,
) -> Result<Vec<UserSummary>, HumaError> {
    let pages: Vec<Vec<Listed>> = pages.try_collect().await?;
    pages.into_iter().flatten().map(|listed| listed.into_summary(what)).collect()
}
