//! Spec strings: parsing, aliases, Display round trip, and the errors for bad specs.

use leaky::{Activation, Error, Kind};

fn parse(s: &str) -> Result<Activation, Error> {
    s.parse()
}

#[test]
fn names_as_people_write_them() {
    assert_eq!(parse("leaky_relu").unwrap(), Activation::DEFAULT);
    assert_eq!(parse("LeakyReLU").unwrap(), Activation::DEFAULT);
    assert_eq!(parse("leakyrelu").unwrap(), Activation::DEFAULT);
    assert_eq!(parse("Leaky-ReLU").unwrap(), Activation::DEFAULT);
    assert_eq!(parse("ReLU").unwrap(), Activation::Relu);
    assert_eq!(parse("SIGMOID").unwrap(), Activation::Sigmoid);
    assert_eq!(parse("Tanh").unwrap(), Activation::Tanh);
}

#[test]
fn parameters_by_name_alias_or_position() {
    let expected = Activation::LeakyRelu { alpha: 0.2 };
    assert_eq!(parse("leaky_relu:alpha=0.2").unwrap(), expected);
    assert_eq!(parse("leaky_relu:negative_slope=0.2").unwrap(), expected);
    assert_eq!(parse("LeakyReLU:ALPHA=0.2").unwrap(), expected);
    assert_eq!(parse("leaky_relu:0.2").unwrap(), expected);
    assert_eq!(parse("leaky_relu: alpha = 2e-1").unwrap(), expected);
    assert_eq!(
        parse("leaky_relu:alpha=-3").unwrap(),
        Activation::LeakyRelu { alpha: -3.0 }
    );
}

#[test]
fn default_alpha_is_the_articles() {
    assert_eq!(Activation::default(), Activation::LeakyRelu { alpha: 0.01 });
    assert_eq!(Kind::LeakyRelu.default_activation(), Activation::DEFAULT);
}

#[test]
fn display_parses_back_to_the_same_activation() {
    for spec in [
        "leaky_relu",
        "leaky_relu:alpha=0.2",
        "leaky_relu:alpha=-1e-300",
        "leaky_relu:alpha=0.1",
        "leaky_relu:alpha=123456789.123",
        "relu",
        "sigmoid",
        "tanh",
    ] {
        let a = parse(spec).unwrap();
        let shown = a.to_string();
        assert_eq!(parse(&shown).unwrap(), a, "{spec} -> {shown}");
    }
    assert_eq!(
        parse("LeakyReLU:0.2").unwrap().to_string(),
        "leaky_relu:alpha=0.2"
    );
    assert_eq!(Activation::Relu.to_string(), "relu");
}

#[test]
fn every_kind_round_trips_through_its_names() {
    for kind in Kind::ALL {
        let info = kind.info();
        assert_eq!(parse(info.name).unwrap().kind(), *kind);
        assert_eq!(parse(info.torch_name).unwrap().kind(), *kind);
        assert_eq!(
            parse(&kind.default_activation().to_string()).unwrap(),
            kind.default_activation()
        );
    }
}

#[test]
fn unknown_names_suggest_the_closest() {
    match parse("leaky_rleu") {
        Err(Error::UnknownActivation { suggestion, .. }) => {
            assert_eq!(suggestion, Some("leaky_relu"))
        }
        other => panic!("{other:?}"),
    }
    match parse("sigmod") {
        Err(Error::UnknownActivation { suggestion, .. }) => assert_eq!(suggestion, Some("sigmoid")),
        other => panic!("{other:?}"),
    }
    match parse("softmaxxxxx") {
        Err(Error::UnknownActivation { suggestion, .. }) => assert_eq!(suggestion, None),
        other => panic!("{other:?}"),
    }
    let msg = parse("leaky_rleu").unwrap_err().to_string();
    assert!(msg.contains("did you mean 'leaky_relu'"), "{msg}");
}

#[test]
fn bad_parameters_are_errors() {
    assert!(matches!(
        parse("leaky_relu:beta=1"),
        Err(Error::UnknownParameter { .. })
    ));
    assert!(matches!(
        parse("relu:alpha=1"),
        Err(Error::UnknownParameter { .. })
    ));
    assert!(matches!(parse("relu:1"), Err(Error::MalformedSpec { .. })));
    assert!(matches!(
        parse("leaky_relu:alpha=abc"),
        Err(Error::MalformedSpec { .. })
    ));
    assert!(matches!(
        parse("leaky_relu:alpha="),
        Err(Error::MalformedSpec { .. })
    ));
    assert!(matches!(
        parse("leaky_relu:"),
        Err(Error::MalformedSpec { .. })
    ));
    assert!(matches!(
        parse("leaky_relu:alpha=1,alpha=2"),
        Err(Error::MalformedSpec { .. })
    ));
    assert!(matches!(
        parse(":alpha=1"),
        Err(Error::MalformedSpec { .. })
    ));
    assert!(matches!(parse(""), Err(Error::MalformedSpec { .. })));
    for bad in ["nan", "NaN", "inf", "-inf", "1e999"] {
        assert!(
            matches!(
                parse(&format!("leaky_relu:alpha={bad}")),
                Err(Error::InvalidParameter { .. })
            ),
            "alpha={bad}"
        );
    }
    assert!(Activation::leaky_relu(f64::NAN).is_err());
    let msg = parse("leaky_relu:alpha=nan").unwrap_err().to_string();
    assert!(msg.contains("alpha") && msg.contains("finite"), "{msg}");
}

#[test]
fn the_family_parses_with_pytorch_names_and_parameters() {
    assert_eq!(
        parse("GELU").unwrap(),
        Activation::Gelu {
            approximate: leaky::GeluApproximation::None
        }
    );
    let tanh_gelu = parse("gelu:approximate=tanh").unwrap();
    assert_eq!(tanh_gelu.to_string(), "gelu:approximate=tanh");
    assert_eq!(
        parse("gelu:approximate=none").unwrap().to_string(),
        "gelu:approximate=none"
    );
    assert_eq!(
        parse("Hardtanh:min_val=-2,max_val=3").unwrap(),
        Activation::Hardtanh {
            min: -2.0,
            max: 3.0
        }
    );
    assert_eq!(
        parse("softshrink:lambd=0.7").unwrap(),
        Activation::Softshrink { lambda: 0.7 }
    );
    assert_eq!(parse("SiLU").unwrap(), Activation::Silu);
    assert_eq!(parse("LogSigmoid").unwrap(), Activation::LogSigmoid);
    assert_eq!(parse("ReLU6").unwrap(), Activation::Relu6);
    assert_eq!(parse("PReLU").unwrap(), Activation::Prelu { weight: 0.25 });
}

#[test]
fn the_familys_parameter_rules() {
    for bad in [
        "celu:alpha=0",
        "softshrink:lambda=-0.1",
        "rrelu:lower=0.5,upper=0.1",
        "hardtanh:min=2,max=1",
        "softplus:beta=0",
        "softplus:beta=-1",
        "elu:alpha=nan",
        "threshold:threshold=inf,value=0",
    ] {
        assert!(
            matches!(parse(bad), Err(Error::InvalidParameter { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        parse("gelu:approximate=fast"),
        Err(Error::MalformedSpec { .. })
    ));
    let msg = parse("celu:alpha=0").unwrap_err().to_string();
    assert!(msg.contains("must not be 0"), "{msg}");
    assert!(parse("hardshrink:lambda=-1").is_ok()); // PyTorch allows it: nothing is shrunk
}
