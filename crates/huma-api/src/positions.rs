//! Positions (where job title and start date live) and job titles.

use crate::client::{HumaClient, with_json};
use crate::errors::HumaError;
use crate::ids::{HumaUserId, PositionId};
use crate::model::{
    JobTitleCreateInput, JobTitleSummary, PositionPage, PositionSummary, PositionUpdateInput,
};
use crate::paging::{Page, pages};
use futures::TryStreamExt;
use reqwest::Method;

impl HumaClient {
    /// A user's positions: `GET /users/{userId}/positions`, every page, one after another until
    /// a short one.
    ///
    /// # Errors
    /// The request failed, or there is no such user.
    pub async fn positions(&self, user: &HumaUserId) -> Result<Vec<PositionSummary>, HumaError> {
        const LIMIT: u64 = 50;
        let key = |position: &PositionSummary| position.id.as_str().to_owned();
        let read = pages("a user's positions", LIMIT, key, |offset| {
            let query = [("limit", LIMIT.to_string()), ("offset", offset.to_string())];
            async move {
                let path = ["users", user.as_str(), "positions"];
                let page: PositionPage =
                    self.call_json(self.request(Method::GET, &path, &query)).await?;
                Ok(Page { items: page.items, total: page.total })
            }
        });
        let pages: Vec<Vec<PositionSummary>> = read.try_collect().await?;
        Ok(pages.into_iter().flatten().collect())
    }

    /// Updates a position: `PATCH /users/{userId}/positions/{id}` with only the keys set.
    ///
    /// # Errors
    /// Huma refused a value, or the position is gone.
    pub async fn update_position(
        &self,
        user: &HumaUserId,
        position: &PositionId,
        input: &PositionUpdateInput,
    ) -> Result<(), HumaError> {
        let path = ["users", user.as_str(), "positions", position.as_str()];
        // Setting fields to values twice does no harm: sent again after a server error.
        let patch = with_json(self.request(Method::PATCH, &path, &[]), input)?.idempotent(true);
        self.call(patch).await.map(|_| ())
    }

    /// Job titles whose name matches `search`: `GET /job-titles?search=..`.
    ///
    /// # Errors
    /// The request failed.
    pub async fn job_titles(&self, search: &str) -> Result<Vec<JobTitleSummary>, HumaError> {
        let query = [("search", search.to_owned())];
        self.call_json(self.request(Method::GET, &["job-titles"], &query)).await
    }

    /// Creates a job title: `POST /job-titles`.
    ///
    /// # Errors
    /// Huma refused it.
    pub async fn create_job_title(&self, name: &str) -> Result<JobTitleSummary, HumaError> {
        let input = JobTitleCreateInput { name: name.to_owned() };
        let post = with_json(self.request(Method::POST, &["job-titles"], &[]), &input)?;
        self.call_json(post).await
    }
}
