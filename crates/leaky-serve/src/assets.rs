//! The pages and their files, embedded in the binary: HTML, CSS, JavaScript and the font (DejaVu
//! Sans, the figures' own, from `leaky-plot`). Nothing is fetched from elsewhere.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// The explorer page.
const EXPLORER_HTML: &str = include_str!("../assets/explorer.html");
/// Its script.
const EXPLORER_JS: &str = include_str!("../assets/explorer.js");
/// The experiments page.
#[cfg(feature = "experiments")]
const EXPERIMENTS_HTML: &str = include_str!("../assets/experiments.html");
/// Its script.
#[cfg(feature = "experiments")]
const EXPERIMENTS_JS: &str = include_str!("../assets/experiments.js");
/// The pages' style.
const STYLE_CSS: &str = include_str!("../assets/style.css");
/// The font of the page and the figures.
const FONT: &[u8] = include_bytes!("../../leaky-plot/fonts/DejaVuSans-subset.ttf");

/// `/`: the explorer.
pub async fn explorer_page() -> Html<&'static str> {
    Html(EXPLORER_HTML)
}

/// `/experiments`: the experiments page.
#[cfg(feature = "experiments")]
pub async fn experiments_page() -> Html<&'static str> {
    Html(EXPERIMENTS_HTML)
}

/// `/assets/FILE`: one of the pages' files, or 404.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (kind, body): (&str, &'static [u8]) = match file.as_str() {
        "explorer.js" => ("text/javascript; charset=utf-8", EXPLORER_JS.as_bytes()),
        #[cfg(feature = "experiments")]
        "experiments.js" => ("text/javascript; charset=utf-8", EXPERIMENTS_JS.as_bytes()),
        "style.css" => ("text/css; charset=utf-8", STYLE_CSS.as_bytes()),
        "DejaVuSans.ttf" => ("font/ttf", FONT),
        _ => {
            return (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "no such file\n",
            )
                .into_response();
        }
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}
