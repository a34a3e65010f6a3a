import Foundation
import Testing

@testable import Scoring

@Suite struct PropensityScoreTests {
    let model = PropensityModel.standard

    @Test func aPatientWithNoHistoryIsInTheMiddle() {
        let score = model.score(.empty)
        #expect((0.6...0.75).contains(score.probability))
        #expect(score.tier == .medium)
        #expect(score.reasons.isEmpty)  // nothing known, nothing moved the score
        #expect(model.features(.empty).values.allSatisfy { $0 == 0 })
    }

    @Test func aPerfectRecordIsLowRisk() {
        let score = model.score(PaymentHistory(onTimePayments: 12, completedPlans: 1))
        #expect(score.probability >= 0.85)
        #expect(score.tier == .low)
    }

    @Test func defaultsAndDeclinesAreHighRisk() {
        let score = model.score(PaymentHistory(onTimePayments: 3, declines: 6, defaults: 2))
        #expect(score.probability <= 0.3)
        #expect(score.tier == .high)
        #expect(score.reasons.first?.feature == "defaults")
    }

    @Test func tiersFollowTheDocumentedThresholds() {
        #expect(RiskTier(probability: RiskTier.lowRiskFrom) == .low)
        #expect(RiskTier(probability: RiskTier.lowRiskFrom - 0.001) == .medium)
        #expect(RiskTier(probability: RiskTier.highRiskBelow) == .medium)
        #expect(RiskTier(probability: RiskTier.highRiskBelow - 0.001) == .high)
    }

    @Test func probabilityIsRoundedToThreeDecimals() {
        for history in Self.histories {
            let p = model.score(history).probability
            #expect((0...1).contains(p))
            #expect(abs(p * 1000 - (p * 1000).rounded()) < 1e-9)
        }
    }

    @Test func addingADefaultNeverRaisesTheScore() {
        for history in Self.histories {
            var worse = history
            worse.defaults += 1
            #expect(model.score(worse).probability <= model.score(history).probability, "\(history)")
        }
    }

    @Test func addingAnOnTimePaymentNeverLowersTheScore() {
        for history in Self.histories {
            var better = history
            better.onTimePayments += 1
            #expect(model.score(better).probability >= model.score(history).probability, "\(history)")
        }
    }

    @Test func reasonsNameTheFactsLargestFirst() {
        let score = model.score(PaymentHistory(onTimePayments: 9, latePayments: 1, declines: 2, oldestUnpaidDays: 45))
        let facts = score.reasons.map(\.fact)
        #expect(facts.contains("9 of 10 payments on time"))
        #expect(facts.contains("1 of 10 payments late"))
        #expect(facts.contains("2 card declines in the last 12 months"))
        #expect(facts.contains("oldest unpaid balance is 45 days old"))
        #expect(!score.reasons.contains { $0.contribution == 0 })
        let sizes = score.reasons.map { abs($0.contribution) }
        #expect(sizes == sizes.sorted(by: >))
        #expect(score.reasons.first?.feature == "onTimeRate")
        #expect(score.reasons.first?.contribution ?? 0 > 0)
        #expect(score.reasons.contains { $0.feature == "declines" && $0.contribution < 0 })
    }

    @Test func reasonsPlusTheInterceptGiveTheLogit() {
        for history in Self.histories {
            let score = model.score(history)
            let logit = model.intercept + score.reasons.map(\.contribution).reduce(0, +)
            // Each contribution is rounded to 3 decimals and the probability too, hence the tolerance.
            #expect(abs(1 / (1 + exp(-logit)) - score.probability) < 0.003, "\(history)")
            for reason in score.reasons {
                let expected = (model.weights[reason.feature] ?? 0) * (model.features(history)[reason.feature] ?? 0)
                #expect(abs(reason.contribution - expected) <= 0.0005 + 1e-9)
            }
        }
    }

    @Test func scoresSurviveAJSONRoundTrip() throws {
        let score = model.score(PaymentHistory(onTimePayments: 4, missedPayments: 2, defaults: 1))
        let decoded = try JSONDecoder().decode(Propensity.self, from: JSONEncoder().encode(score))
        #expect(decoded == score)
    }

    @Test func aHistoryMissingCountsDecodesThemAsZero() throws {
        let history = try JSONDecoder().decode(PaymentHistory.self, from: Data(#"{"onTimePayments": 3}"#.utf8))
        #expect(history == PaymentHistory(onTimePayments: 3))
    }

    /// A spread of ordinary and extreme histories, including counts past every cap.
    static let histories: [PaymentHistory] = {
        var all: [PaymentHistory] = [.empty]
        for onTime in [0, 1, 5, 20] {
            for late in [0, 2, 9] {
                for missed in [0, 1, 6] {
                    for (declines, defaults) in [(0, 0), (1, 0), (3, 1), (8, 4)] {
                        for days in [0, 45, 500] {
                            all.append(PaymentHistory(
                                onTimePayments: onTime, latePayments: late, missedPayments: missed, declines: declines,
                                defaults: defaults, oldestUnpaidDays: days, completedPlans: (onTime + late) % 4
                            ))
                        }
                    }
                }
            }
        }
        return all
    }()
}

@Suite struct PropensityFairnessTests {
    @Test func paymentHistoryHoldsExactlyTheBehaviourFields() {
        let labels = Set(Mirror(reflecting: PaymentHistory.empty).children.compactMap(\.label))
        #expect(labels == [
            "onTimePayments", "latePayments", "missedPayments", "declines", "defaults", "oldestUnpaidDays", "completedPlans",
        ])
    }

    /// A plain substring test, stricter than word matching: it is why the balance feature is
    /// "oldestUnpaidMonths" and not "balanceAgeMonths".
    @Test func noFieldOrFeatureIsDemographic() {
        let words = ["age", "sex", "gender", "language", "address", "zip", "postcode", "name", "birth", "race", "ethnicity"]
        let labels = Mirror(reflecting: PaymentHistory.empty).children.compactMap(\.label)
        for name in labels + PropensityModel.featureNames {
            for word in words {
                #expect(!name.lowercased().contains(word), "\(name) looks demographic (\(word))")
            }
        }
    }
}

@Suite struct PropensityTrainingTests {
    /// 220 patients: `k` of 10 payments on time (the rest late), paying with probability ≈ k/10 (a deterministic
    /// pattern stands in for randomness). Completed plans cycle 0, 1, 2 independently of the outcome: pure noise.
    static let samples: [(history: PaymentHistory, paid: Bool)] = (0..<220).map { i in
        let k = i % 11
        let history = PaymentHistory(onTimePayments: k, latePayments: 10 - k, completedPlans: (i / 11) % 3)
        return (history, (i * 7 + i / 11) % 10 < k)
    }

    @Test func theFittedModelRanksAGoodPayerAboveABadOne() {
        let fitted = PropensityModel.fit(Self.samples)
        let good = fitted.score(PaymentHistory(onTimePayments: 10))
        let bad = fitted.score(PaymentHistory(onTimePayments: 1, latePayments: 9))
        #expect(good.probability > bad.probability)
        #expect(fitted != .standard)
    }

    @Test func theDrivingFeatureOutweighsNoise() {
        let blank = PropensityModel(intercept: 0, weights: [:])
        let fitted = PropensityModel.fit(Self.samples, iterations: 2_000, prior: blank)
        let onTime = abs(fitted.weights["onTimeRate"] ?? 0)
        let noise = abs(fitted.weights["completedPlans"] ?? 0)
        #expect(onTime > 1)
        #expect(noise < 0.2)
        #expect(onTime > 5 * noise)
    }

    @Test func fewerThanTwentySamplesKeepThePrior() {
        #expect(PropensityModel.fit(Array(Self.samples.prefix(19))) == .standard)
        #expect(PropensityModel.fit([]) == .standard)
    }

    @Test func oneOutcomeOnlyKeepsThePrior() {
        let allPaid = Self.samples.map { ($0.history, true) }
        #expect(PropensityModel.fit(allPaid) == .standard)
    }

    @Test func fittingIsDeterministic() {
        #expect(PropensityModel.fit(Self.samples) == PropensityModel.fit(Self.samples))
    }

    @Test func retrainingNeverFlipsAWeightsSign() {
        // Data where finishing plans goes with not paying: the weight may shrink to 0 but not turn negative.
        let perverse = (0..<40).map { i in (history: PaymentHistory(completedPlans: i % 2 == 0 ? 3 : 0), paid: i % 2 == 1) }
        let fitted = PropensityModel.fit(perverse, iterations: 2_000, learningRate: 0.5)
        #expect(fitted.weights["completedPlans"] == 0)
        for name in PropensityModel.featureNames {
            let prior = PropensityModel.standard.weights[name] ?? 0
            #expect((fitted.weights[name] ?? 0) * prior >= 0, "\(name)")
        }
    }
}
