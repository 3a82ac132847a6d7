//! Every route, with good and bad requests: the same numbers and figures as `leaky-show` gives
//! the command line, and a 4xx with the command line's one-line message for bad input.

mod send;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use leaky::{Activation, Kind};
use leaky_show::figure::FigureSpec;
use leaky_show::table::Table;
use send::send;

/// The status, content type and body of `GET uri`.
async fn get(uri: &str) -> (StatusCode, String, Vec<u8>) {
    request(Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn request(request: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    send(&leaky_serve::router(), request).await
}

/// A bad request's message: the status must be 400.
async fn refused(uri: &str) -> String {
    let (status, kind, body) = get(uri).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
    assert!(kind.starts_with("text/plain"), "{kind}");
    let text = String::from_utf8(body).unwrap();
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    text.trim_end().to_string()
}

#[tokio::test]
async fn the_page_and_its_files_are_embedded() {
    let (status, kind, body) = get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/html"));
    let page = String::from_utf8(body).unwrap();
    for file in ["/assets/explorer.js", "/assets/style.css"] {
        assert!(page.contains(file), "{file}");
        let (status, _, body) = get(file).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert!(!body.is_empty());
    }
    let (status, kind, font) = get("/assets/DejaVuSans.ttf").await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "font/ttf"));
    assert_eq!(&font[..4], [0, 1, 0, 0], "a TrueType font");
    assert_eq!(get("/assets/../Cargo.toml").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get("/assets/secret.txt").await.0, StatusCode::NOT_FOUND);
    assert_eq!(get("/nothing-here").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalogue_lists_every_activation_with_its_parameters() {
    let (status, kind, body) = get("/api/catalogue").await;
    assert_eq!(
        (status, kind.as_str()),
        (StatusCode::OK, "application/json")
    );
    let catalogue: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let kinds = catalogue.as_array().unwrap();
    assert_eq!(kinds.len(), Kind::ALL.len());
    let leaky = kinds.iter().find(|k| k["name"] == "leaky_relu").unwrap();
    assert_eq!(leaky["torch_name"], "LeakyReLU");
    assert_eq!(leaky["params"][0]["name"], "alpha");
    assert_eq!(leaky["params"][0]["default"], 0.01);
    assert_eq!(leaky["params"][0]["aliases"][0], "negative_slope");
    let gelu = kinds.iter().find(|k| k["name"] == "gelu").unwrap();
    assert_eq!(gelu["params"][0]["choices"][1], "tanh");
}

#[tokio::test]
async fn values_are_leaky_evals_tables() {
    let (status, _, body) = get("/api/values").await;
    assert_eq!(status, StatusCode::OK);
    let values: serde_json::Value = serde_json::from_slice(&body).unwrap();
    // The opening view is the article's: LeakyReLU, α = 0.01, 100 points on [-2, 2], in f32.
    let table = &values[0];
    assert_eq!(table["activation"], "leaky_relu:alpha=0.01");
    assert_eq!(table["dtype"], "f32");
    let points = table["points"].as_array().unwrap();
    assert_eq!(points.len(), 100);
    assert_eq!(points[0]["y"], -0.02);
    assert_eq!(points[99]["dy"], 1.0);

    let (status, _, body) =
        get("/api/values?spec=relu&spec=gelu%3Aapproximate%3Dtanh&from=-1&to=1&points=5&dtype=f64")
            .await;
    assert_eq!(status, StatusCode::OK);
    let values: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let gelu: Activation = "gelu:approximate=tanh".parse().unwrap();
    let xs = [-1.0f64, -0.5, 0.0, 0.5, 1.0];
    let mut expected = Vec::new();
    Table::new(&gelu, &xs)
        .unwrap()
        .write_json(&mut expected)
        .unwrap();
    let expected: serde_json::Value = serde_json::from_slice(&expected).unwrap();
    assert_eq!(values[1], expected);
    assert_eq!(values[0]["points"][4]["y"], 1.0);
}

#[tokio::test]
async fn figures_and_csv_are_what_the_command_line_writes() {
    let spec = FigureSpec {
        activations: vec![Activation::Relu, "leaky_relu:alpha=0.2".parse().unwrap()],
        derivative: true,
        from: -3.0,
        to: 3.0,
        points: 50,
        ..FigureSpec::default()
    };
    let query = "spec=relu&spec=leaky_relu%3Aalpha%3D0.2&derivative=1&from=-3&to=3&points=50";
    let (status, kind, svg) = get(&format!("/plot.svg?{query}")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert_eq!(svg, spec.figure().unwrap().to_svg().unwrap().into_bytes());
    let (status, kind, png) = get(&format!("/plot.png?{query}")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "image/png"));
    assert_eq!(png, spec.figure().unwrap().to_png().unwrap());

    let (status, kind, csv) = get("/eval.csv?spec=tanh&from=-1&to=1&points=3").await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"));
    let mut expected = Vec::new();
    Table::new(&Activation::Tanh, &[-1.0f32, 0.0, 1.0])
        .unwrap()
        .write_csv(&mut expected)
        .unwrap();
    assert_eq!(csv, expected);
}

#[tokio::test]
async fn bad_requests_get_the_command_lines_message() {
    let unknown = "nope".parse::<Activation>().unwrap_err().to_string();
    assert_eq!(refused("/api/values?spec=nope").await, unknown);
    let nan = "leaky_relu:alpha=nan"
        .parse::<Activation>()
        .unwrap_err()
        .to_string();
    assert_eq!(refused("/api/values?spec=leaky_relu:alpha=nan").await, nan);
    let huge = "leaky_relu:alpha=1e400"
        .parse::<Activation>()
        .unwrap_err()
        .to_string();
    assert_eq!(refused("/plot.svg?spec=leaky_relu:alpha=1e400").await, huge);
    assert_eq!(
        refused("/api/values?from=2&to=2").await,
        "--from (2) must be less than --to (2)"
    );
    assert_eq!(
        refused("/plot.png?from=-inf").await,
        "--from and --to must be finite numbers, got -inf and 2"
    );
    assert_eq!(
        refused("/api/values?points=1").await,
        "--points must be at least 2, got 1"
    );
    assert_eq!(
        refused("/eval.csv?points=100001").await,
        "--points must be at most 100000 here, got 100001"
    );
    assert_eq!(
        refused("/api/values?points=-3").await,
        "--points: '-3' is not a number"
    );
    assert_eq!(
        refused("/eval.csv?spec=relu&spec=tanh").await,
        "eval.csv takes one spec, got 2"
    );
    assert!(refused("/plot.svg?width=0").await.contains("size"));
    assert!(
        refused("/api/values?colour=red")
            .await
            .starts_with("unknown parameter 'colour'")
    );
    assert_eq!(
        refused("/api/values?dtype=f16").await,
        "--dtype: 'f16' is not one of f32, f64"
    );
    // Only GET is served.
    let post = Request::post("/api/values")
        .body(Body::from(vec![b'x'; 1 << 20]))
        .unwrap();
    assert_eq!(request(post).await.0, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_server_answers_on_a_socket() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(leaky_serve::serve(listener, leaky_serve::router()));
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .write_all(b"GET /eval.csv?points=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    })
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(
        answer.ends_with("x,y,dy\n-2.0,-0.02,0.01\n2.0,2.0,1.0\n"),
        "{answer}"
    );
}
