//! `cargo run --example webhook`: receive Huma's profile webhooks and push changes to Azure AD.

fn main() {}
