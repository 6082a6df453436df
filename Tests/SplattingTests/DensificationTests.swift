import XCTest
import NeuralNet
import TensorCore
@testable import Splatting

final class DensificationTests: XCTestCase {
    /// Builds a cloud with one small, one large and one transparent Gaussian, all with a large
    /// view-averaged gradient, and checks clone/split/prune and that Adam state stays aligned.
    func testCloneSplitPruneKeepAdamAligned() {
        var cloud = GaussianCloud(shDegree: 0)
        cloud.append(mean: [0, 0, 0], rotation: [1, 0, 0, 0], logScale: [-6, -6, -6], opacityLogit: 0, sh: [0.1, 0.2, 0.3])
        cloud.append(mean: [1, 0, 0], rotation: [1, 0, 0, 0], logScale: [-1, -2, -2], opacityLogit: 0, sh: [0.4, 0.5, 0.6])
        cloud.append(mean: [0, 1, 0], rotation: [1, 0, 0, 0], logScale: [-6, -6, -6], opacityLogit: -8, sh: [0.7, 0.8, 0.9])
        let adam = Adam()
        for name in GaussianCloud.parameterNames {
            var p = cloud[parameter: name]
            adam.step(name, params: &p, grads: [Float](repeating: 1, count: p.count), lr: 0, width: cloud.parameterWidth(name))
        }
        var stats = DensificationStatistics(count: 3)
        stats.gradientSum = [1, 1, 0]; stats.viewCount = [1, 1, 1]
        var settings = DensificationSettings()
        settings.gradientThreshold = 0.5
        var rng = SeededRandom(seed: 1)
        let report = Densifier.densifyAndPrune(&cloud, statistics: stats, adam: adam, settings: settings,
                                               sceneExtent: 1, pruneLarge: false, rng: &rng)
        XCTAssertEqual(report, DensificationReport(cloned: 1, split: 1, pruned: 1))
        // small (kept) + its clone + 2 split children; the large original and the transparent one are gone
        XCTAssertEqual(cloud.count, 4)
        XCTAssertTrue(cloud.isConsistent)
        XCTAssertEqual(cloud.shCoefficients[0..<6].map { $0 }, [0.1, 0.2, 0.3, 0.1, 0.2, 0.3])
        for child in 2..<4 {
            XCTAssertEqual(cloud.logScales[3 * child], -1 - logf(1.6), accuracy: 1e-5)
            XCTAssertEqual(cloud.shCoefficients[3 * child], 0.4)
        }
        for name in GaussianCloud.parameterNames {
            XCTAssertEqual(adam.states[name]?.m.count, cloud[parameter: name].count, name)
        }
        // Surviving original keeps its moments; new rows start at zero.
        XCTAssertNotEqual(adam.states["means"]!.m[0], 0)
        XCTAssertEqual(adam.states["means"]!.m[3], 0)
    }

    func testDensificationRespectsCap() {
        var cloud = SyntheticScenes.randomBox(count: 50, lo: [-1, -1, -1], hi: [1, 1, 1], shDegree: 0, seed: 2)
        var stats = DensificationStatistics(count: 50)
        stats.gradientSum = [Float](repeating: 1, count: 50); stats.viewCount = [Float](repeating: 1, count: 50)
        var settings = DensificationSettings()
        settings.maxGaussians = 60
        var rng = SeededRandom(seed: 1)
        Densifier.densifyAndPrune(&cloud, statistics: stats, adam: Adam(), settings: settings, sceneExtent: 1,
                                  pruneLarge: false, rng: &rng)
        XCTAssertLessThanOrEqual(cloud.count, 60)
        XCTAssertGreaterThan(cloud.count, 50)
    }
}

import Foundation
