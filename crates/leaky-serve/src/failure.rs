//! A failed request: a status and a one-line message, sent as plain text.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A failed request: its status and its one-line message.
#[derive(Debug)]
pub struct Failure(pub StatusCode, pub String);

impl Failure {
    /// A 400 with `message`.
    pub fn bad(message: impl Into<String>) -> Failure {
        Failure(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            self.1 + "\n",
        )
            .into_response()
    }
}
