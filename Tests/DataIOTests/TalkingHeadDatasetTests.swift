import DataIO
import Foundation
import TensorCore
import _TestSupport
import XCTest

/// The ER-NeRF dataset reader/writer: round trips, exact ER-NeRF conventions, bad datasets.
final class TalkingHeadDatasetTests: XCTestCase {
    var folder: URL!
    override func setUp() { folder = makeTemporaryDirectory("audioplane-dataset") }
    override func tearDown() { try? FileManager.default.removeItem(at: folder) }

    let w = 32, h = 24, n = 6

    /// A rigid camera-to-world (OpenGL) looking at the origin from +Z, slightly turned per frame.
    func transform(_ i: Int) -> [[Float]] {
        let a = Float(i) * 0.02
        return [[cosf(a), 0, sinf(a), 0.01 * Float(i)], [0, 1, 0, -0.02], [-sinf(a), 0, cosf(a), 0.7], [0, 0, 0, 1]]
    }

    func landmarks(_ i: Int) -> Landmarks {
        Landmarks(points: (0..<68).map { k in
            let a = Float(k) / 68 * 2 * .pi
            return SIMD2(16 + 8 * cosf(a) + Float(i) * 0.25, 12 + 6 * sinf(a))
        })
    }

    func parsing() -> ParsingMap {
        var labels = [UInt8](repeating: ParsingMap.Label.background.rawValue, count: w * h)
        for r in 0..<h { for c in 0..<w {
            if r < 16 && c > 8 && c < 24 { labels[r * w + c] = ParsingMap.Label.head.rawValue }
            else if r >= 16 && r < 19 && c > 12 && c < 20 { labels[r * w + c] = ParsingMap.Label.neck.rawValue }
            else if r >= 19 { labels[r * w + c] = ParsingMap.Label.torso.rawValue }
        } }
        return ParsingMap(width: w, height: h, labels: labels)
    }

    func image(_ seed: Int, channels: Int = 3) -> Image8 {
        Image8(width: w, height: h, channels: channels, pixels: (0..<(w * h * channels)).map { UInt8(truncatingIfNeeded: ($0 / 7 + seed * 13) % 200 + 20) })
    }

    func torso() -> Image8 {
        var px = [UInt8](repeating: 0, count: w * h * 4)
        for p in 0..<(w * h) { px[4 * p] = 200; px[4 * p + 1] = 50; px[4 * p + 2] = 40; px[4 * p + 3] = p / w >= 16 ? 255 : (p / w == 15 ? 128 : 0) }
        return Image8(width: w, height: h, channels: 4, pixels: px)
    }

    /// Writes a complete small dataset with the writer (features [rows, 16, C]).
    @discardableResult
    func writeDataset(featureRows: Int? = nil, kind: AudioFeatureKind = .audioPlane, channels: Int = 32) throws -> TalkingHeadDatasetWriter {
        let writer = try TalkingHeadDatasetWriter(folder: folder, width: w, height: h, focalLength: 40, jpegQuality: 100)
        for i in 0..<n {
            try writer.writeFrame(.init(imageID: i, original: image(i), parsing: parsing(), torso: torso(), landmarks: landmarks(i)))
        }
        try writer.writeBackground(image(99))
        let rows = featureRows ?? n
        try writer.writeFeatures(NpyArray(shape: [rows, 16, channels], float32: (0..<(rows * 16 * channels)).map { Float($0) * 0.001 }), kind: kind)
        try writeWav(seconds: Double(n) / 25)
        try writer.finish(frames: (0..<n).map { CameraTransforms.Frame(imageID: $0, audioID: $0, transform: transform($0)) })
        return writer
    }

    func writeWav(seconds: Double) throws {
        let count = Int(seconds * 16_000)
        var d = Data("RIFF".utf8); func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        u32(36 + 2 * count); d.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(1); u16(1); u32(16_000); u32(32_000); u16(2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(2 * count); d.append(Data(count: 2 * count))
        try d.write(to: TalkingHeadLayout(folder).audio)
    }

    func testWriterThenReaderGivesEveryFieldBack() throws {
        try writeDataset()
        XCTAssertEqual(TalkingHeadDataset.check(folder).map(\.description), [])
        let ds = try TalkingHeadDataset(folder: folder)
        XCTAssertEqual(ds.count, n)
        XCTAssertEqual(ds.indices(.train).count, TalkingHeadDatasetWriter.trainCount(n))
        XCTAssertEqual(ds.indices(.train).count + ds.indices(.val).count, n)
        XCTAssertEqual(ds.width, w); XCTAssertEqual(ds.height, h); XCTAssertEqual(ds.focalLength, 40)
        XCTAssertEqual(ds.featureKind, .audioPlane)
        XCTAssertEqual(ds.featureWindowShape, [16, 32])
        for i in 0..<n {
            let f = try ds.frame(i)
            XCTAssertEqual(f.imageID, i)
            XCTAssertEqual(ds.frames[i].audioID, i)
            for r in 0..<4 { assertClose(ds.frames[i].transform[r], transform(i)[r], atol: 1e-6) }
            XCTAssertEqual(f.camera, Camera(cameraToWorldOpenGL: transform(i), width: w, height: h, fx: 40, fy: 40, cx: Float(w) / 2, cy: Float(h) / 2))
            XCTAssertEqual(f.parsing, parsing())
            for k in 0..<68 { assertClose([f.landmarks.points[k].x, f.landmarks.points[k].y], [landmarks(i).points[k].x, landmarks(i).points[k].y], atol: 1e-5) }
            // JPEG is lossy: the reader returns exactly what the writer's encoding decodes to.
            XCTAssertEqual(f.groundTruth, try JPEGFile.decode(try JPEGFile.encode(image(i), quality: 100)))
            XCTAssertEqual(f.audioFeature.count, 16 * 32)
            XCTAssertEqual(f.audioFeature.first, Float(i * 16 * 32) * 0.001)
            XCTAssertEqual(f.headMask, parsing().mask(.head))
            // Background: torso RGBA over bc.jpg.
            let bc = ds.backgroundImage
            XCTAssertEqual(f.background, TalkingHeadDataset.composite(torso(), over: bc))
            XCTAssertEqual(Array(f.background.pixels[(20 * w * 3)..<(20 * w * 3 + 3)]), [200, 50, 40])
            XCTAssertEqual(Array(f.background.pixels[0..<3]), Array(bc.pixels[0..<3]))
        }
    }

    /// ER-NeRF's exact conventions, written by hand: N−1 DeepSpeech rows [N−1, 16, 29], parsing in
    /// BGR (head = blue in the RGB file), no aud_id (defaults to img_id), png images accepted.
    func testReadsDatasetInExactERNeRFConventions() throws {
        let layout = TalkingHeadLayout(folder)
        for sub in TalkingHeadLayout.allFolders { try FileManager.default.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true) }
        var parsingPixels = [UInt8](repeating: 255, count: w * h * 3)
        for r in 0..<h { for c in 0..<w where r < 12 { parsingPixels[3 * (r * w + c)] = 0; parsingPixels[3 * (r * w + c) + 1] = 0; parsingPixels[3 * (r * w + c) + 2] = 255 } }
        for i in 0..<n {
            try JPEGFile.write(image(i), to: layout.originalImage(i))
            try JPEGFile.write(image(i), to: folder.appendingPathComponent("gt_imgs/\(i).jpg"))
            try PNGFile.write(Image8(width: w, height: h, channels: 3, pixels: parsingPixels), to: folder.appendingPathComponent("parsing/\(i).png"))
            try PNGFile.write(torso(), to: folder.appendingPathComponent("torso_imgs/\(i).png"))
            try landmarks(i).write(layout.landmarks(i))
        }
        try JPEGFile.write(image(99), to: layout.background)
        try Npy.write(NpyArray(shape: [n - 1, 16, 29], float32: (0..<((n - 1) * 16 * 29)).map { Float($0) }), to: layout.features(.deepSpeech))
        try writeWav(seconds: Double(n) / 25)
        func json(_ ids: Range<Int>) -> String {
            let frames = ids.map { i in "{\"img_id\": \(i), \"transform_matrix\": \(transform(i).map { $0.map { Double($0) } })}" }
            return "{\"focal_len\": 40.0, \"cx\": \(Double(w) / 2), \"cy\": \(Double(h) / 2), \"frames\": [\(frames.joined(separator: ","))]}"
        }
        try json(0..<5).write(to: layout.transforms(.train), atomically: true, encoding: .utf8)
        try json(5..<6).write(to: layout.transforms(.val), atomically: true, encoding: .utf8)

        XCTAssertEqual(TalkingHeadDataset.check(folder).map(\.description), [])
        let ds = try TalkingHeadDataset(folder: folder)
        XCTAssertEqual(ds.featureKind, .deepSpeech)
        XCTAssertEqual(ds.featureWindowShape, [16, 29])
        XCTAssertEqual(ds.featureRows, n - 1)
        let last = try ds.frame(n - 1)
        XCTAssertEqual(last.split, .val)
        XCTAssertEqual(last.audioFeature, ds.audioFeature(audioID: n - 2), "aud_id N−1 clamps to the last row")
        XCTAssertEqual(last.audioFeature.first, Float((n - 2) * 16 * 29))
        XCTAssertEqual(last.headMask.reduce(0) { $0 + Int($1) }, 12 * w, "BGR [255,0,0] (blue in the file) is the head")
        XCTAssertEqual(last.parsing.mask(.background).reduce(0) { $0 + Int($1) }, 12 * w)
    }

    func testMouthMaskAndLipsRectangle() {
        var pts = [SIMD2<Float>](repeating: [50, 20], count: 68)
        // Outer lips: a 20×8 hexagon-ish ring centred at (50, 60); inner lips inside it.
        let outer: [SIMD2<Float>] = [[40, 60], [43, 57], [47, 56], [50, 57], [53, 56], [57, 57], [60, 60], [57, 63], [53, 64], [50, 64], [47, 64], [43, 63]]
        for (k, p) in outer.enumerated() { pts[48 + k] = p }
        for k in 60..<68 { pts[k] = [50, 60] }
        let lms = Landmarks(points: pts)
        let mask = lms.mouthMask(width: 100, height: 100)
        XCTAssertEqual(mask[60 * 100 + 50], 1)
        // Dilation radius 0.25 · mouth width = 5 px.
        XCTAssertEqual(mask[60 * 100 + 35], 1)    // 5 px left of the corner: inside (centre at 35.5 → 4.5 px)
        XCTAssertEqual(mask[60 * 100 + 33], 0)
        XCTAssertEqual(mask[10 * 100 + 50], 0)
        XCTAssertEqual(lms.lipsRectangle(width: 100, height: 100), PixelRect(rowMin: 50, rowMax: 70, colMin: 40, colMax: 60))
    }

    func testBadDatasetsListEveryProblemWithFileAndFrame() throws {
        try writeDataset(featureRows: 3)
        let layout = TalkingHeadLayout(folder)
        try FileManager.default.removeItem(at: layout.groundTruthImage(2))
        try JPEGFile.write(Image8(width: 16, height: 16, channels: 3, pixels: [UInt8](repeating: 9, count: 768)), to: layout.originalImage(3))
        let lms = try String(contentsOf: layout.landmarks(4), encoding: .utf8).split(separator: "\n").dropLast().joined(separator: "\n")
        try lms.write(to: layout.landmarks(4), atomically: true, encoding: .utf8)
        let json = try String(contentsOf: layout.transforms(.train), encoding: .utf8)
        // Make frame 1's matrix non-rigid: scale the first row.
        var root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        var frames = root["frames"] as! [[String: Any]]
        var m = frames[1]["transform_matrix"] as! [[Double]]
        m[0] = m[0].map { $0 * 2 }
        frames[1]["transform_matrix"] = m
        root["frames"] = frames
        try JSONSerialization.data(withJSONObject: root).write(to: layout.transforms(.train))
        try FileManager.default.removeItem(at: layout.transforms(.val))

        let problems = TalkingHeadDataset.check(folder).map(\.description)
        let expect = [
            ("transforms_val.json: missing", ""),
            ("gt_imgs/2.jpg: frame 2: file is missing", ""),
            ("ori_imgs/3.jpg: frame 3: image is 16×16, expected 32×24", ""),
            ("ori_imgs/4.lms: frame 4: ", "67 lines"),
            ("transforms_train.json: frame 1: transform_matrix is not a rigid", ""),
            ("aud_ap.npy: has 3 rows but frames use aud_id up to 4", ""),
        ]
        for (prefix, extra) in expect {
            XCTAssertTrue(problems.contains { $0.contains(prefix) && (extra.isEmpty || $0.contains(extra)) }, "no problem like '\(prefix)' in:\n\(problems.joined(separator: "\n"))")
        }
        XCTAssertTrue(problems.allSatisfy { !$0.contains("\n") })
        // Opening fails on the first structural problem with a one-line error naming the file.
        XCTAssertThrowsError(try TalkingHeadDataset(folder: folder)) { XCTAssertTrue("\($0)".contains("transforms_train.json: frame 1: transform_matrix is not a rigid"), "\($0)") }
    }

    func testOpeningAndLoadingErrorsNameFileAndFrame() throws {
        try writeDataset()
        let layout = TalkingHeadLayout(folder)
        try FileManager.default.removeItem(at: layout.torsoImage(3))
        let ds = try TalkingHeadDataset(folder: folder)
        XCTAssertThrowsError(try ds.frame(3)) { XCTAssertEqual("\($0)", "\(layout.torsoImage(3).path): frame 3: file is missing (the frame is listed in the transforms file)") }
        try Npy.write(NpyArray(shape: [2, 16, 32], float32: [Float](repeating: 0, count: 2 * 16 * 32)), to: layout.features(.audioPlane))
        XCTAssertThrowsError(try TalkingHeadDataset(folder: folder)) { XCTAssertTrue("\($0)".contains("aud_ap.npy: has 2 rows but frames use aud_id up to 5")) }
        try FileManager.default.removeItem(at: layout.features(.audioPlane))
        XCTAssertThrowsError(try TalkingHeadDataset(folder: folder)) { XCTAssertTrue("\($0)".contains("no audio feature array")) }
    }

    func testFrameCacheStaysWithinItsBudget() throws {
        try writeDataset()
        let perFrame = 3 * w * h * 2 + 3 * w * h + 4 * 16 * 32 + 600
        let ds = try TalkingHeadDataset(folder: folder, cacheBytes: 2 * perFrame + 100)
        for _ in 0..<3 { for i in 0..<n { _ = try ds.frame(i) } }
        let usage = ds.cacheUsage
        XCTAssertLessThanOrEqual(usage.bytes, usage.limit)
        XCTAssertLessThanOrEqual(usage.frames, 2)
        XCTAssertGreaterThan(usage.frames, 0)
    }

    func testJPEGRoundTripAndErrors() throws {
        let url = folder.appendingPathComponent("a.jpg")
        try JPEGFile.write(image(1), to: url, quality: 100)
        let back = try JPEGFile.read(url)
        XCTAssertEqual(back.width, w); XCTAssertEqual(back.height, h); XCTAssertEqual(back.channels, 3)
        XCTAssertEqual(try JPEGFile.size(url).width, w)
        let gray = Image8(width: 8, height: 8, channels: 1, pixels: [UInt8](repeating: 77, count: 64))
        XCTAssertEqual(try JPEGFile.decode(try JPEGFile.encode(gray)).pixels, gray.pixels)
        try Data("not a jpeg".utf8).write(to: url)
        XCTAssertThrowsError(try JPEGFile.read(url)) { XCTAssertTrue("\($0)".hasPrefix(url.path + ": cannot read JPEG")) }
        XCTAssertThrowsError(try JPEGFile.encode(torso())) { XCTAssertTrue("\($0)".contains("1 or 3 channels")) }
    }

    func testLandmarksFileErrors() {
        XCTAssertThrowsError(try Landmarks.parse(Array(repeating: "1 2", count: 67).joined(separator: "\n"), name: "x.lms")) {
            XCTAssertEqual("\($0)", "x.lms: landmarks file has 67 lines, expected 68 (iBUG-68 'x y' per line)")
        }
        XCTAssertThrowsError(try Landmarks.parse(Array(repeating: "1 2", count: 67).joined(separator: "\n") + "\n1 z", name: "x.lms")) {
            XCTAssertTrue("\($0)".contains("line 68"))
        }
    }
}
