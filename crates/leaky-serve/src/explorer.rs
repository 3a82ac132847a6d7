//! The explorer's data: the catalogue, the values of f and f' (as `leaky eval --format json`
//! computes them), the figure as SVG or PNG (as `leaky plot` draws it) and the values as CSV (as
//! `leaky eval` writes them).

use axum::extract::RawQuery;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use leaky::{Activation, Float, Kind};
use leaky_plot::PlotError;
use leaky_show::ShowError;
use leaky_show::table::Table;
use serde_json::json;

use crate::failure::Failure;
use crate::query::{Dtype, Query};

impl From<ShowError> for Failure {
    fn from(err: ShowError) -> Self {
        Failure::bad(err.0)
    }
}

impl From<leaky::Error> for Failure {
    /// The kernels cannot run as the server's environment asks (`LEAKY_TIER`, `LEAKY_THREADS`):
    /// the server's fault, not the request's.
    fn from(err: leaky::Error) -> Self {
        Failure(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
    }
}

impl From<PlotError> for Failure {
    /// A figure that cannot be drawn as asked (its size, its data) is the request's fault; a
    /// failure to render is the server's.
    fn from(err: PlotError) -> Self {
        match err {
            PlotError::Render(_) | PlotError::Io { .. } => {
                Failure(StatusCode::INTERNAL_SERVER_ERROR, err.to_string())
            }
            _ => Failure::bad(err.to_string()),
        }
    }
}

/// Every activation: names, parameters (defaults, docs, choices) and formulas, as `leaky list`.
pub async fn catalogue() -> Response {
    let kinds: Vec<_> = Kind::ALL
        .iter()
        .map(|kind| {
            let info = kind.info();
            let params: Vec<_> = info
                .params
                .iter()
                .map(|p| {
                    json!({
                        "name": p.name,
                        "aliases": p.aliases,
                        "default": p.default,
                        "doc": p.doc,
                        "choices": p.choices,
                    })
                })
                .collect();
            json!({
                "name": info.name,
                "torch_name": info.torch_name,
                "formula": info.formula,
                "derivative": info.derivative,
                "params": params,
            })
        })
        .collect();
    json_response(serde_json::to_vec(&kinds).expect("JSON values serialise"))
}

/// `[table, ...]`: one `leaky eval --format json` table per activation of the query.
pub async fn values(RawQuery(raw): RawQuery) -> Result<Response, Failure> {
    let query = Query::parse(raw.as_deref())?;
    let xs = query.xs()?;
    let body = blocking(move || {
        let mut body = b"[".to_vec();
        for (i, activation) in query.figure.activations.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            write_table(activation, &xs, query.dtype, Format::Json, &mut body)?;
            // The table ends its line; inside the array it need not.
            body.pop();
        }
        body.push(b']');
        Ok(body)
    })
    .await?;
    Ok(json_response(body))
}

/// The figure as `leaky plot -o FILE.svg` writes it.
pub async fn plot_svg(RawQuery(raw): RawQuery) -> Result<Response, Failure> {
    let query = Query::parse(raw.as_deref())?;
    let svg = blocking(move || Ok(query.figure.figure()?.to_svg()?.into_bytes())).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The figure as `leaky plot -o FILE.png` writes it.
pub async fn plot_png(RawQuery(raw): RawQuery) -> Result<Response, Failure> {
    let query = Query::parse(raw.as_deref())?;
    let png = blocking(move || Ok(query.figure.figure()?.to_png()?)).await?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The values as `leaky eval SPEC --from A --to B --points N` writes them: one activation.
pub async fn eval_csv(RawQuery(raw): RawQuery) -> Result<Response, Failure> {
    let query = Query::parse(raw.as_deref())?;
    let [activation] = query.figure.activations.as_slice() else {
        return Err(Failure::bad(format!(
            "eval.csv takes one spec, got {}",
            query.figure.activations.len()
        )));
    };
    let activation = *activation;
    let xs = query.xs()?;
    let csv = blocking(move || {
        let mut csv = Vec::new();
        write_table(&activation, &xs, query.dtype, Format::Csv, &mut csv)?;
        Ok(csv)
    })
    .await?;
    let file = format!(
        "attachment; filename=\"{}.csv\"",
        activation.kind().info().name
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, file),
        ],
        csv,
    )
        .into_response())
}

/// How [`write_table`] writes: as `leaky eval --format csv` or `--format json`.
enum Format {
    Csv,
    Json,
}

/// One activation's table at `xs`, computed in `dtype`, appended to `body` as `leaky eval`
/// writes it.
fn write_table(
    activation: &Activation,
    xs: &[f64],
    dtype: Dtype,
    format: Format,
    body: &mut Vec<u8>,
) -> Result<(), Failure> {
    fn write_as<T: Float>(
        activation: &Activation,
        xs: &[f64],
        format: Format,
        body: &mut Vec<u8>,
    ) -> Result<(), Failure> {
        let xs: Vec<T> = xs.iter().map(|&x| T::from_f64(x)).collect();
        let table = Table::new(activation, &xs)?;
        match format {
            Format::Csv => table.write_csv(body),
            Format::Json => table.write_json(body),
        }
        .expect("writing to memory");
        Ok(())
    }
    match dtype {
        Dtype::F32 => write_as::<f32>(activation, xs, format, body),
        Dtype::F64 => write_as::<f64>(activation, xs, format, body),
    }
}

/// Runs `work` off the async threads (drawing and computing take milliseconds).
async fn blocking(
    work: impl FnOnce() -> Result<Vec<u8>, Failure> + Send + 'static,
) -> Result<Vec<u8>, Failure> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        Failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request's work failed: {e}"),
        )
    })?
}

fn json_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}
