import XCTest
@testable import Training

/// `audioplane train --config KEY=VALUE`: dotted keys into config.json, JSON values, clear errors.
final class ConfigOverrideTests: XCTestCase {
    func testOverridesSetNestedAndOptionalFields() throws {
        let base = TrainingConfig.quick(audioChannels: 32)
        let c = try base.applying(overrides: ["fineIterations=123", "lambdaMask=0.25", "densification.maxGaussians=7777",
                                              "model.scales=[1,2]", "model.prototypeInitSpread=0.5", "perceptual=dssim",
                                              "model.fusion=\"add\""])
        XCTAssertEqual(c.fineIterations, 123)
        XCTAssertEqual(c.lambdaMask, 0.25)
        XCTAssertEqual(c.densification.maxGaussians, 7777)
        XCTAssertEqual(c.model.scales, [1, 2])
        XCTAssertEqual(c.model.prototypeInitSpread, 0.5)
        XCTAssertEqual(c.perceptual, .dssim)
        XCTAssertEqual(c.model.fusion, .add)
        // Everything else is the preset's.
        var expected = base
        expected.fineIterations = 123; expected.lambdaMask = 0.25; expected.densification.maxGaussians = 7777
        expected.model.scales = [1, 2]; expected.model.prototypeInitSpread = 0.5; expected.perceptual = .dssim
        expected.model.fusion = .add
        XCTAssertEqual(c, expected)
        XCTAssertEqual(try base.applying(overrides: []), base)
        // An optional back to unset.
        XCTAssertNil(try c.applying(overrides: ["model.prototypeInitSpread=null"]).model.prototypeInitSpread)
    }

    func testBadOverridesNameTheProblem() {
        let base = TrainingConfig.quick(audioChannels: 32)
        for (item, words) in [("fineIterations", "KEY=VALUE"), ("nosuch=1", "nosuch"), ("model.bogus=2", "model.bogus"),
                              ("fineIterations=\"many\"", "wrong type"), ("densification.nothing.deeper=1", "nothing"),
                              ("shDegree=7", "shDegree"), ("seed.x=1", "seed")] {
            XCTAssertThrowsError(try base.applying(overrides: [item]), item) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(words), "\(item): \(text)")
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }
}
