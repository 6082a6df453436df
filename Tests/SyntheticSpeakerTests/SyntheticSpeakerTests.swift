import AudioFeatures
import DataIO
import Foundation
import Splatting
import SyntheticSpeaker
import TensorCore
import _TestSupport
import XCTest

/// A tiny synthetic dataset (64×64, 1.2 s, coarse head) generated once for the dataset tests.
enum TinyDataset {
    static let settings = SynthSettings(seconds: 1.2, size: 64, identitySeed: 7, textSeed: 3, detail: 0.06)
    static let folder: URL = {
        let url = makeTemporaryDirectory("audioplane-synth-tiny")
        _ = try! SyntheticDataset.generate(settings, to: url, quiet: true)
        return url
    }()
}

final class SpeechAndVisemeTests: XCTestCase {
    func testSpeechLengthIsExactlyTheFrameCountAt25FPSAndEventsTileIt() throws {
        let speech = try SpeechTrack(text: nil, seconds: 2.0, textSeed: 5, voice: "en-us", wordsPerMinute: 160)
        XCTAssertEqual(speech.frameCount, 50)
        XCTAssertEqual(speech.samples.count, 50 * 640)
        XCTAssertEqual(speech.phonemes.first?.startMs, 0)
        XCTAssertEqual(speech.phonemes.last?.endMs, 2000)
        for (a, b) in zip(speech.phonemes, speech.phonemes.dropFirst()) { XCTAssertEqual(a.endMs, b.startMs) }
        let again = try SpeechTrack(text: nil, seconds: 2.0, textSeed: 5, voice: "en-us", wordsPerMinute: 160)
        XCTAssertEqual(again.sentences, speech.sentences, "deterministic given the text seed")
        // espeak-ng's timings can differ by a few ms between the first and later utterances of a
        // process (its internal state); the phoneme sequence is the same.
        XCTAssertEqual(again.phonemes.map(\.phoneme), speech.phonemes.map(\.phoneme))
        XCTAssertEqual(again.samples.count, speech.samples.count)
        XCTAssertNotEqual(try SpeechTrack(text: nil, seconds: 2.0, textSeed: 6, voice: "en-us", wordsPerMinute: 160).sentences, speech.sentences)
    }

    /// The jaw is high in the middle of every open vowel espeak reports, low at bilabial closures
    /// and in pauses, and moves smoothly (no popping).
    func testMouthOpensExactlyWhenEspeakSaysOpenVowel() throws {
        let speech = try SpeechTrack(text: "Father and mom had a long hot bath at the park, but Bob passed by.", seconds: nil,
                                     textSeed: 1, voice: "en-us", wordsPerMinute: 150)
        let fine = Visemes.mouthTrack(speech.phonemes, frameCount: speech.frameCount * 8, fps: 200)  // 5 ms sampling
        func jaw(atMs t: Double) -> Float { fine[min(fine.count - 1, Int(t / 5))].jaw }
        var openChecked = 0, closedChecked = 0
        for e in speech.phonemes {
            let mid = 0.5 * Double(e.startMs + e.endMs), duration = e.endMs - e.startMs
            if Visemes.isOpenVowel(e.phoneme) && duration >= 60 {
                XCTAssertGreaterThan(jaw(atMs: mid), 0.6, "open vowel \(e.phoneme) at \(e.startMs) ms")
                openChecked += 1
            }
            if Visemes.isBilabial(e.phoneme) {
                XCTAssertLessThan(jaw(atMs: mid), 0.2, "bilabial \(e.phoneme) at \(e.startMs) ms")
                closedChecked += 1
            }
            if Visemes.isPause(e.phoneme) && duration >= 200 { XCTAssertLessThan(jaw(atMs: mid), 0.05, "pause at \(e.startMs) ms") }
        }
        XCTAssertGreaterThanOrEqual(openChecked, 4)
        XCTAssertGreaterThanOrEqual(closedChecked, 4)
        // Frames inside open vowels open the jaw far more than the rest.
        let frames = Visemes.mouthTrack(speech.phonemes, frameCount: speech.frameCount)
        var inOpen: [Float] = [], others: [Float] = []
        for (k, m) in frames.enumerated() {
            let t = k * 40
            guard let e = speech.phonemes.first(where: { $0.startMs <= t && t < $0.endMs }) else { continue }
            if Visemes.isOpenVowel(e.phoneme) { inOpen.append(m.jaw) } else if !Visemes.target(e.phoneme).mouth.jaw.isNaN && Visemes.target(e.phoneme).mouth.jaw < 0.3 { others.append(m.jaw) }
        }
        let meanOpen = inOpen.reduce(0, +) / Float(inOpen.count), meanOther = others.reduce(0, +) / Float(others.count)
        XCTAssertGreaterThan(meanOpen, 2 * meanOther)
        // Smooth: at 5 ms sampling no parameter jumps by more than 0.1 (a full opening takes ≥ 50 ms).
        let maxStep = zip(fine, fine.dropFirst()).map { max(abs($0.jaw - $1.jaw), abs($0.press - $1.press), abs($0.round - $1.round)) }.max()!
        XCTAssertLessThan(maxStep, 0.1)
    }

    func testMotionIsSmallSmoothAndBlinksHappen() {
        let motion = MotionTrack(frameCount: 500, seed: 4)
        let deg = Float.pi / 180
        XCTAssertTrue(motion.poses.allSatisfy { abs($0.yaw) < 4.5 * deg && abs($0.pitch) < 3 * deg && abs($0.roll) < 2 * deg })
        XCTAssertTrue(motion.poses.allSatisfy { abs($0.translation.x) < 0.005 })
        for (a, b) in zip(motion.poses, motion.poses.dropFirst()) { XCTAssertLessThan(abs(a.yaw - b.yaw), 0.2 * deg) }
        XCTAssertGreaterThanOrEqual(motion.blinkTimes.count, 3)
        XCTAssertGreaterThan(motion.blinks.max()!, 0.8)
        XCTAssertGreaterThan(motion.blinks.filter { $0 == 0 }.count, 400)
    }
}

final class SceneConsistencyTests: XCTestCase {
    static let scene = SpeakerScene(identity: SpeakerIdentity(seed: 11), size: 128, detail: 0.12)
    let pose = HeadPose(yaw: 0.05, pitch: -0.03, roll: 0.02, translation: [0.002, -0.001, 0.003])

    func testCamerasAreRigidAndTheHeadCameraMatchesTheWorldComposition() {
        let scene = Self.scene
        let m = scene.cameraToHead(pose)
        XCTAssertTrue(isRigid(m, tolerance: 1e-5))
        // A head point seen through the head camera lands where the world camera sees it after H.
        let (r, t) = scene.headToWorld(pose)
        for p in [scene.head.pupilCentre(side: -1), SIMD3<Float>(0.03, -0.05, 0.08), SIMD3<Float>(-0.06, 0.08, 0.02)] {
            let a = scene.headCamera(pose).project(p).pixel, b = scene.worldCamera.project(r * p + t).pixel
            assertClose([a.x, a.y], [b.x, b.y], atol: 1e-3)
        }
    }

    /// A 3D point of the head projects to where it is drawn: the centroid of the rendered pupil
    /// label is within 0.75 px of the projected pupil centre (eyes open).
    func testPupilProjectsWhereItIsDrawn() {
        let scene = Self.scene
        let images = scene.renderHead(pose, mouth: .closed, blink: 0, renderer: SplatRenderer(), labels: [[.pupil]])
        for side: Float in [-1, 1] {
            let target = scene.headCamera(pose).project(scene.head.pupilCentre(side: side)).pixel
            var sum = SIMD2<Float>.zero, weight: Float = 0
            for row in 0..<128 { for col in 0..<128 {
                let v = images.extras[row * 128 + col]
                let p = SIMD2<Float>(Float(col) + 0.5, Float(row) + 0.5)
                if ((p - target) * (p - target)).sum() < 25 && v > 0.05 { sum += v * p; weight += v }
            } }
            XCTAssertGreaterThan(weight, 0.5)
            let centroid = sum / weight
            XCTAssertLessThan(((centroid - target) * (centroid - target)).sum().squareRoot(), 0.75, "side \(side)")
        }
    }

    /// Projected lip landmarks fall on rendered lip pixels (closed, open, rounded mouths) and every
    /// landmark falls inside the rendered head.
    func testLandmarksFallOnTheRightParts() {
        let scene = Self.scene
        let renderer = SplatRenderer()
        for mouth in [MouthParameters.closed, MouthParameters(jaw: 0.9, spread: 0.2), MouthParameters(jaw: 0.4, round: 0.9)] {
            let images = scene.renderHead(pose, mouth: mouth, blink: 0, renderer: renderer, labels: [[.lips]])
            let lms = scene.landmarks(pose, mouth: mouth, blink: 0)
            func at(_ p: SIMD2<Float>) -> Int { Int(p.y) * 128 + Int(p.x) }
            for k in 0..<68 { XCTAssertGreaterThan(images.alpha[at(lms.points[k])], 0.5, "landmark \(k) outside the head") }
            for k in Landmarks.lips where ![48, 54, 60, 64].contains(k) {
                XCTAssertGreaterThan(images.extras[at(lms.points[k])], 0.5, "lip landmark \(k) not on the lips, mouth \(mouth)")
            }
        }
    }

    /// An open jaw shows teeth and the dark cavity between the lips; a closed mouth hides them.
    func testOpenMouthShowsTeethAndCavity() {
        let scene = Self.scene
        let renderer = SplatRenderer()
        func interiorPixels(_ mouth: MouthParameters) -> Float {
            let images = scene.renderHead(pose, mouth: mouth, blink: 0, renderer: renderer, labels: [[.teeth, .cavity, .tongue]])
            return images.extras.reduce(0, +)
        }
        // The coarse test head (detail 0.12) has 3× larger cavity Gaussians that leak a little at the
        // lip corners; an open mouth shows far more.
        let closed = interiorPixels(.closed), open = interiorPixels(MouthParameters(jaw: 1))
        XCTAssertGreaterThan(open, 30)
        XCTAssertLessThan(closed, 0.2 * open)
    }
}

final class GeneratedDatasetTests: XCTestCase {
    func testGeneratedDatasetPassesCheckAndLoads() throws {
        let folder = TinyDataset.folder
        XCTAssertEqual(TalkingHeadDataset.check(folder).map(\.description), [])
        let ds = try TalkingHeadDataset(folder: folder)
        XCTAssertEqual(ds.count, 30)
        XCTAssertEqual(ds.featureKind, .audioPlane)
        XCTAssertEqual(ds.features.shape, [30, 16, 32])
        let wav = try WavHeader.read(ds.layout.audio)
        XCTAssertEqual(wav.sampleRate, 16_000)
        XCTAssertEqual(wav.frameCount, 30 * 640, "aud.wav lasts exactly frames / 25 s")
        let mouth = try Npy.read(folder.appendingPathComponent("mouth.npy"))
        XCTAssertEqual(mouth.shape, [30, 4])
        let meta = try XCTUnwrap(try SyntheticDataset.readMetadata(folder))
        XCTAssertEqual(meta.settings, TinyDataset.settings)
        XCTAssertTrue(meta.complete)
        for i in 0..<ds.count {
            XCTAssertTrue(isRigid(ds.frames[i].transform, tolerance: 1e-4))
            let f = try ds.frame(i)
            // Lip landmarks lie inside the head region of the parsing map.
            for k in Landmarks.lips {
                let p = f.landmarks.points[k]
                XCTAssertEqual(f.headMask[Int(p.y) * 64 + Int(p.x)], 1, "frame \(i) landmark \(k)")
            }
            XCTAssertGreaterThan(f.mouthMask.reduce(0) { $0 + Int($1) }, 10)
            XCTAssertGreaterThan(f.parsing.mask(.torso).reduce(0) { $0 + Int($1) }, 50)
            XCTAssertGreaterThan(f.parsing.mask(.neck).reduce(0) { $0 + Int($1) }, 5)
        }
    }

    /// Same identity seed, another text seed: the same person (background, torso, colours) saying
    /// something else with other head motion.
    func testSameIdentityOtherTextIsAHeldOutSetOfTheSamePerson() throws {
        let other = makeTemporaryDirectory("audioplane-synth-heldout")
        defer { try? FileManager.default.removeItem(at: other) }
        var settings = TinyDataset.settings
        settings.textSeed = 4
        settings.seconds = 0.4
        _ = try SyntheticDataset.generate(settings, to: other, quiet: true)
        let a = TinyDataset.folder
        XCTAssertEqual(FileManager.default.contents(atPath: a.appendingPathComponent("bc.jpg").path),
                       FileManager.default.contents(atPath: other.appendingPathComponent("bc.jpg").path))
        XCTAssertEqual(FileManager.default.contents(atPath: a.appendingPathComponent("torso_imgs/0.png").path),
                       FileManager.default.contents(atPath: other.appendingPathComponent("torso_imgs/0.png").path))
        XCTAssertNotEqual(try SyntheticDataset.readMetadata(a)?.sentences, try SyntheticDataset.readMetadata(other)?.sentences)
        XCTAssertEqual(try SyntheticDataset.readMetadata(a)?.headBoxMin, try SyntheticDataset.readMetadata(other)?.headBoxMin)
    }
}
