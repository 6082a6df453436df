import DataIO
import Foundation
@testable import Perceptual
import TensorCore
import XCTest

/// LPIPS against the published values of pyiqa 0.1.16's five calibration pairs
/// (`ResultsCalibra/calibration_summary.csv`, row `lpips`, produced by the reference `lpips` package).
/// Runs when `scripts/install-lpips-weights.sh` has installed the weights and the pairs.
final class LPIPSCalibrationTests: XCTestCase {
    /// Published values have 4 decimals; the acceptance bar is 1e-3.
    static let tolerance: Float = 1e-3

    func testCalibrationPairsMatchPublishedValues() throws {
        guard let network = try LPIPS.loadInstalled() else {
            throw XCTSkip(LPIPSInstallation.unavailableReason ?? "LPIPS weights not installed")
        }
        let folder = LPIPSInstallation.calibrationFolder
        let csv = folder.appendingPathComponent("published.csv")
        guard let text = try? String(contentsOf: csv, encoding: .utf8) else {
            throw XCTSkip("no calibration pairs at \(folder.path) (\(LPIPSInstallation.installHint))")
        }
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        XCTAssertEqual(rows.count, 5)
        let session = LPIPSSession(network: network)
        for row in rows {
            let name = String(row[0]), published = Float(row[1])!
            let ref = try PNGFile.read(folder.appendingPathComponent("ref/\(name).png"), channels: 3)
            let dist = try PNGFile.read(folder.appendingPathComponent("dist/\(name).png"), channels: 3)
            let shape = [ref.height, ref.width, 3]
            let value = try session.distance(Tensor(shape: shape, data: ref.rgbFloats), Tensor(shape: shape, data: dist.rgbFloats))
            print(String(format: "LPIPS %@: %.5f (published %.4f, diff %+.5f)", name, value, published, value - published))
            XCTAssertEqual(value, published, accuracy: Self.tolerance, name)
        }
    }
}
