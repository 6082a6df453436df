import XCTest
import AudioPlane
import DataIO
import Perceptual
import Splatting
import TensorCore
@testable import Training
import _TestSupport

/// Inference and evaluation on a briefly trained model of the fixture speaker: the model
/// directory loads back, `eval` reproduces training's validation numbers, a ground truth equal to
/// the renders scores PSNR = inf (LPIPS 0), and a shifted mouth lowers mouth-region PSNR.
final class EvaluationTests: XCTestCase {
    func testEvaluationReproducesValidationAndHandlesIdenticalAndShiftedFrames() throws {
        let data = try TrainingFixtures.data()
        var config = TrainingConfig.quick()
        config.perceptual = .dssim
        config.coarseIterations = 40
        config.fineIterations = 20
        config.validationInterval = 1_000
        let dir = TrainingFixtures.temporaryFolder("eval-model"), copy = TrainingFixtures.temporaryFolder("eval-data")
        defer { try? FileManager.default.removeItem(at: dir); try? FileManager.default.removeItem(at: copy) }
        let trainer = try TalkingHeadTrainer(config: config, data: data, lpips: nil)
        trainer.showProgress = false
        XCTAssertEqual(try trainer.train(output: dir), .finished)

        // The model directory loads back as it was trained.
        let head = try TrainedTalkingHead.load(dir)
        XCTAssertEqual(head.cloud, trainer.cloud)
        XCTAssertEqual(head.model, trainer.model)
        XCTAssertEqual(head.iteration, 60)
        XCTAssertTrue(head.isDeformable)

        // Same frames as training's validation → the same numbers.
        let lpips = try LPIPS.loadInstalled()
        let metrics = ImageMetrics(lpips: lpips)
        let synthesizer = try TalkingHeadSynthesizer(head: head, poses: data.dataset)
        let indices = TalkingHeadEvaluator.frames(of: data.dataset, split: .auto, trainedOn: head.config.dataset?.path,
                                                  maxFrames: config.validationFrames)
        XCTAssertEqual(indices, data.validationIndices(count: config.validationFrames))
        let report = try TalkingHeadEvaluator.evaluate(synthesizer, indices: indices, metrics: metrics)
        let last = try XCTUnwrap(trainer.log.last)
        XCTAssertEqual(report.frames, indices.count)
        XCTAssertEqual(report.psnr, last.psnr, accuracy: 1e-9, "eval reproduces the validation PSNR")
        XCTAssertEqual(try XCTUnwrap(report.mouthPSNR), last.mouthPSNR, accuracy: 1e-9, "and the mouth PSNR")

        // A copy of the dataset whose ground truth is exactly what the video frames show.
        try FileManager.default.copyItem(at: TrainingFixtures.dataset, to: copy)
        let layout = TalkingHeadLayout(copy)
        let all = Array(0..<data.dataset.count)
        var frame = Image8(width: 2, height: 2, channels: 3, pixels: [UInt8](repeating: 0, count: 12))
        var frames: [Image8] = []
        for i in all {
            XCTAssertEqual(data.dataset.frames[i].audioID, i)
            try synthesizer.renderFrame(i, features: data.dataset.featureValues, frameCount: data.dataset.featureRows, into: &frame)
            frames.append(frame)
            let id = data.dataset.frames[i].imageID
            try FileManager.default.removeItem(at: layout.groundTruthImage(id))
            try PNGFile.write(frame, to: copy.appendingPathComponent("\(TalkingHeadLayout.groundTruthFolder)/\(id).png"))
        }
        let identical = try TalkingHeadEvaluator.evaluate(
            try TalkingHeadSynthesizer(head: head, poses: TalkingHeadDataset(folder: copy)), indices: all, metrics: metrics)
        XCTAssertEqual(identical.frames, all.count)
        XCTAssertEqual(identical.psnr, .infinity)
        XCTAssertEqual(identical.mouthPSNR, .infinity)
        XCTAssertEqual(identical.ssim, 1, accuracy: 1e-6)
        if lpips != nil { XCTAssertEqual(try XCTUnwrap(identical.lpips), 0, accuracy: 1e-6) }
        XCTAssertTrue(identical.jsonLine().contains("\"psnr\":\"inf\""), identical.jsonLine())

        // Shift the mouth (lips rectangle) of every ground-truth frame down by 2 pixels.
        for i in all {
            let id = data.dataset.frames[i].imageID
            let lips = try data.dataset.frame(i).lipsRectangle
            var shifted = frames[i]
            let w = shifted.width
            for row in stride(from: min(lips.rowMax, shifted.height) - 1, through: max(lips.rowMin, 2), by: -1) {
                for col in max(lips.colMin, 0)..<min(lips.colMax, w) {
                    for c in 0..<3 { shifted.pixels[(row * w + col) * 3 + c] = frames[i].pixels[((row - 2) * w + col) * 3 + c] }
                }
            }
            try PNGFile.write(shifted, to: copy.appendingPathComponent("\(TalkingHeadLayout.groundTruthFolder)/\(id).png"))
        }
        let moved = try TalkingHeadEvaluator.evaluate(
            try TalkingHeadSynthesizer(head: head, poses: TalkingHeadDataset(folder: copy)), indices: all, metrics: metrics)
        let mouth = try XCTUnwrap(moved.mouthPSNR)
        print(String(format: "eval: validation %.3f dB (mouth %.3f); shifted mouth: full %.2f dB, mouth %.2f dB",
                     report.psnr, try XCTUnwrap(report.mouthPSNR), moved.psnr, mouth))
        XCTAssertTrue(mouth.isFinite && moved.psnr.isFinite)
        XCTAssertLessThan(mouth, moved.psnr - 5, "the shift is inside the mouth: the mouth PSNR must drop far below the full-frame one")
    }
}
