//! The real-time push from Huma's profile webhooks to Azure AD.
