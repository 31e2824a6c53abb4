//! Quick or full: the one switch between a run that takes seconds to minutes (tests, demos,
//! `--quick`) and the settings the report's numbers come from. Each stage's settings are built
//! from it (`ClassicLab::for_profile`, `TransformerOptions::for_profile`), so the choice is made
//! once instead of threaded through as a flag.

use serde::{Deserialize, Serialize};

/// How much work a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Small grids, a small and briefly trained transformer.
    Quick,
    /// The settings of the main job and the committed notebooks.
    #[default]
    Full,
}

impl Profile {
    /// `Quick` when `quick` is true (the CLI's `--quick`, a notebook's `let quick = ...`).
    pub fn from_quick(quick: bool) -> Profile {
        if quick { Profile::Quick } else { Profile::Full }
    }

    pub fn is_quick(self) -> bool {
        self == Profile::Quick
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_flag_round_trips() {
        assert_eq!(Profile::from_quick(true), Profile::Quick);
        assert_eq!(Profile::from_quick(false), Profile::Full);
        assert!(Profile::Quick.is_quick() && !Profile::Full.is_quick());
    }
}
