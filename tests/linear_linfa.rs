//! Our L2 solver against linfa-logistic (L-BFGS on a dense matrix) on the small sklearn fixture
//! problem: linfa minimizes `sum_i logloss_i + alpha/2 ||w||^2`, which is our objective divided by
//! `C` when `alpha = 1 / C`.

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};
use serde::Deserialize;
use textlab::features::Csr;
use textlab::linear::LogReg;

#[derive(Deserialize)]
struct Fixture {
    n_rows: usize,
    n_cols: usize,
    indptr: Vec<usize>,
    indices: Vec<u32>,
    data: Vec<f64>,
    y: Vec<u8>,
}

#[test]
fn l2_matches_linfa_logistic() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sklearn/logreg.json"
    );
    let f: Fixture = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let x = Csr {
        n_rows: f.n_rows,
        n_cols: f.n_cols,
        indptr: f.indptr,
        indices: f.indices,
        data: f.data,
    };
    let y = f.y;
    let mut dense = Array2::<f64>::zeros((x.n_rows, x.n_cols));
    for i in 0..x.n_rows {
        let (c, v) = x.row(i);
        for (&j, &val) in c.iter().zip(v) {
            dense[[i, j as usize]] = val;
        }
    }
    let targets: Array1<usize> = y.iter().map(|&v| v as usize).collect();
    let ds = Dataset::new(dense, targets);
    for c in [0.1, 1.0, 10.0] {
        let fitted = LogisticRegression::default()
            .alpha(1.0 / c)
            .gradient_tolerance(1e-10)
            .max_iterations(10_000)
            .fit(&ds)
            .unwrap();
        // linfa calls its larger class "positive": turn its weights into P(class 1) weights.
        let sign = if fitted.labels().pos.class == 1 {
            1.0
        } else {
            -1.0
        };
        let coef: Vec<f64> = fitted.params().iter().map(|w| sign * w).collect();
        let intercept = sign * fitted.intercept();
        let lr = LogReg::l2().c(c).tol(1e-10).max_iter(1000);
        let theirs = lr.objective(&x, &y, None, &coef, intercept).unwrap();
        let ours = lr.fit(&x, &y).unwrap();
        assert!(ours.converged);
        assert!(
            ours.objective <= theirs * (1.0 + 1e-6),
            "C={c}: ours {} vs linfa {theirs}",
            ours.objective
        );
        for (j, (a, b)) in ours.coef.iter().zip(&coef).enumerate() {
            assert!(
                (a - b).abs() <= 1e-3 * (1.0 + b.abs()),
                "C={c} coef {j}: {a} vs linfa {b}"
            );
        }
        assert!((ours.intercept - intercept).abs() <= 1e-3 * (1.0 + intercept.abs()));
        eprintln!("C={c}: ours {:.12} linfa {theirs:.12}", ours.objective);
    }
}
