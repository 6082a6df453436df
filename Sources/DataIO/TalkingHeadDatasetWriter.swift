import Foundation
import TensorCore

/// Writes a talking-head dataset in the ER-NeRF / TalkingGaussian layout (`TalkingHeadLayout`), so
/// ER-NeRF, TalkingGaussian and this project can all read it. Every file is written atomically.
///
/// Use: `init` (creates the folders) → `writeFrame` for each frame (thread-safe: frames touch
/// distinct files, so call it from parallel workers) → `writeBackground`, `writeFeatures` →
/// `finish(frames:)`, which writes `transforms_train.json` (first ⌊10N/11⌋ frames) and
/// `transforms_val.json` (the rest). `aud.wav` (16 kHz mono) is written by the caller at `layout.audio`
/// (AudioFeatures' `WavFile`).
public final class TalkingHeadDatasetWriter: @unchecked Sendable {
    public let layout: TalkingHeadLayout
    public let width: Int
    public let height: Int
    public let focalLength: Float
    public var jpegQuality: Int

    /// The files of one frame. `original` is `ori_imgs/<id>.jpg`; `groundTruth` (`gt_imgs`) defaults
    /// to the same image (a frame whose background already is `bc.jpg`); `torso` is RGBA.
    public struct FrameFiles {
        public var imageID: Int
        public var original: Image8
        public var groundTruth: Image8?
        public var parsing: ParsingMap
        public var torso: Image8
        public var landmarks: Landmarks
        public init(imageID: Int, original: Image8, groundTruth: Image8? = nil, parsing: ParsingMap, torso: Image8, landmarks: Landmarks) {
            self.imageID = imageID; self.original = original; self.groundTruth = groundTruth
            self.parsing = parsing; self.torso = torso; self.landmarks = landmarks
        }
    }

    public init(folder: URL, width: Int, height: Int, focalLength: Float, jpegQuality: Int = JPEGFile.defaultQuality) throws {
        layout = TalkingHeadLayout(folder)
        self.width = width; self.height = height; self.focalLength = focalLength; self.jpegQuality = jpegQuality
        try createFolder(folder)
        for sub in TalkingHeadLayout.allFolders { try createFolder(folder.appendingPathComponent(sub)) }
    }

    /// Writes a frame's five files. `torsoPNG` may pass already-encoded torso bytes (a static torso
    /// is encoded once and reused).
    public func writeFrame(_ files: FrameFiles, torsoPNG: Data? = nil) throws {
        let id = files.imageID
        for image in [files.original, files.torso] + (files.groundTruth.map { [$0] } ?? []) {
            precondition(image.width == width && image.height == height, "frame \(id): image size differs from the dataset's")
        }
        let original = try JPEGFile.encode(files.original, quality: jpegQuality, name: layout.originalImage(id).path)
        try writeAtomically(original, to: url(TalkingHeadLayout.originalFolder, id, "jpg"))
        let gt = try files.groundTruth.map { try JPEGFile.encode($0, quality: jpegQuality) } ?? original
        try writeAtomically(gt, to: url(TalkingHeadLayout.groundTruthFolder, id, "jpg"))
        try writeAtomically(try PNGFile.encode(files.parsing.image), to: url(TalkingHeadLayout.parsingFolder, id, "png"))
        try writeAtomically(try torsoPNG ?? PNGFile.encode(files.torso), to: url(TalkingHeadLayout.torsoFolder, id, "png"))
        try files.landmarks.write(layout.landmarks(id))
    }

    /// `bc.jpg`.
    public func writeBackground(_ image: Image8) throws { try JPEGFile.write(image, to: layout.background, quality: jpegQuality) }

    /// `aud_<kind>.npy`.
    public func writeFeatures(_ array: NpyArray, kind: AudioFeatureKind) throws { try Npy.write(array, to: layout.features(kind)) }

    /// Writes both transforms files: the first ⌊10N/11⌋ frames train, the rest val (DESIGN.md §4).
    /// `frames` are in video order; each transform is camera-to-world (OpenGL) in the head's frame.
    public func finish(frames: [CameraTransforms.Frame]) throws {
        let split = Self.trainCount(frames.count)
        for (name, part) in [(TalkingHeadLayout.Split.train, Array(frames[..<split])), (.val, Array(frames[split...]))] {
            let t = CameraTransforms(focalLength: focalLength, cx: Float(width) / 2, cy: Float(height) / 2, frames: part)
            try t.write(layout.transforms(name))
        }
    }

    /// ⌊10N/11⌋, at least 1 and at most N − 1 when N ≥ 2 (so both files have a frame).
    public static func trainCount(_ n: Int) -> Int { n < 2 ? n : min(max(1, 10 * n / 11), n - 1) }

    private func url(_ folder: String, _ id: Int, _ ext: String) -> URL {
        layout.root.appendingPathComponent("\(folder)/\(id).\(ext)")
    }
}
