extension PropensityModel {
    /// Below this many samples a practice's own history says too little; `fit` keeps the prior.
    public static let minimumTrainingSamples = 20

    /// Retrains the model on a practice's own outcomes (`paid`: the balance was paid) by batch gradient descent
    /// on the mean logistic loss, starting from `prior`.
    ///
    /// Returns `prior` unchanged when there are fewer than `minimumTrainingSamples` samples, when every sample
    /// has the same outcome (nothing to separate), or when `iterations` < 1.
    ///
    /// - `l2` pulls each weight toward the prior's weight, not toward 0: with little data the result stays
    ///   close to the hand-set model, and a feature the data says nothing about keeps its prior weight.
    ///   The intercept is not penalised.
    /// - Each weight keeps the sign of the prior's (it stops at 0 instead of crossing), so a quirk of one
    ///   practice's data can never make an on-time payment count against a patient, or a default for one.
    /// - Deterministic: no randomness, features summed in a fixed order; the same input gives the same model.
    public static func fit(
        _ samples: [(history: PaymentHistory, paid: Bool)], iterations: Int = 500, learningRate: Double = 0.1,
        l2: Double = 0.01, prior: PropensityModel = .standard
    ) -> PropensityModel {
        let positives = samples.lazy.filter(\.paid).count
        guard samples.count >= minimumTrainingSamples, positives > 0, positives < samples.count, iterations > 0 else {
            return prior
        }
        // The same `Feature.value` as `score` uses, so training and scoring see identically scaled inputs.
        let features = Feature.ordered
        let rows = samples.map { sample in features.map { $0.value(sample.history) } }
        let labels = samples.map { $0.paid ? 1.0 : 0.0 }
        let priorWeights = features.map { prior.weights[$0.rawValue] ?? 0 }
        let n = Double(samples.count)

        var intercept = prior.intercept
        var weights = priorWeights
        for _ in 0..<iterations {
            var interceptGradient = 0.0
            var gradient = [Double](repeating: 0, count: features.count)
            for (row, label) in zip(rows, labels) {
                var z = intercept
                for j in row.indices { z += weights[j] * row[j] }
                let error = sigmoid(z) - label
                interceptGradient += error
                for j in row.indices { gradient[j] += error * row[j] }
            }
            intercept -= learningRate * interceptGradient / n
            for j in weights.indices {
                let step = weights[j] - learningRate * (gradient[j] / n + l2 * (weights[j] - priorWeights[j]))
                // Projected step: stay on the prior's side of 0.
                weights[j] = priorWeights[j] > 0 ? max(0, step) : priorWeights[j] < 0 ? min(0, step) : step
            }
        }

        var fitted = prior  // keeps any weights the prior has for names this version does not read
        fitted.intercept = intercept
        for (feature, weight) in zip(features, weights) { fitted.weights[feature.rawValue] = weight }
        return fitted
    }
}
