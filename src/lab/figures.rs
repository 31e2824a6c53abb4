//! Result-to-figure adapters for the lab's own result types (the plot module draws plain series
//! and knows only the core's types; the stories' results are turned into figures here).

use super::{ClassicReport, RunResult, TransformerReport};
use crate::error::Result;
use crate::plot::{Comparison, Figure, ModelStats, TrainingRun, training_curves};

const MB: f64 = 1e6;

impl TransformerReport {
    /// Fine-tuning curves of the experiment (and of its random-init arm).
    pub fn training_figure(&self) -> Result<Figure> {
        let mut runs = vec![TrainingRun::from_fine_tune(
            self.model.clone(),
            &self.fine_tuning,
        )];
        if let Some(arm) = &self.random_init {
            runs.push(TrainingRun::from_fine_tune(
                arm.name.clone(),
                &arm.fine_tuning,
            ));
        }
        training_curves(&runs, "epoch")
    }

    /// Test numbers and costs (training time, peak memory, weights size) for the comparison.
    pub fn model_stats(&self) -> ModelStats {
        let mut m = ModelStats::from_evaluation(&self.test)
            .train_secs(self.train_seconds)
            .size_mb(self.summary.model_bytes as f64 / MB);
        m.memory_mb = self.peak_memory_bytes.map(|b| b as f64 / MB);
        m
    }
}

impl ClassicReport {
    /// Every model of the classic experiment (one per stage) with its fit time and weights size.
    pub fn comparison(&self) -> Comparison {
        let dims = self.best_model.coef.len();
        Comparison::new(
            self.rows
                .iter()
                .map(|r| {
                    ModelStats::from_evaluation(&r.test)
                        .train_secs(r.model.fit_seconds)
                        .size_mb((dims + 1) as f64 * 8.0 / MB)
                })
                .collect(),
        )
    }
}

impl RunResult {
    /// The main job's comparison: the best classic model, the transformer and its random-init arm.
    pub fn comparison(&self) -> Comparison {
        let classic = self.classic.comparison();
        let mut models = vec![classic.models[self.classic.best].clone()];
        if let Some(t) = &self.transformer {
            models.push(t.model_stats());
            if let Some(a) = &t.random_init {
                models.push(ModelStats::from_evaluation(&a.test).train_secs(a.cost.fit_seconds));
            }
        }
        Comparison::new(models)
    }
}
