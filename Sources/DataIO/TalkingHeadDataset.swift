import Foundation
import TensorCore

/// A talking-head dataset in the ER-NeRF / TalkingGaussian layout (`TalkingHeadLayout`, DESIGN.md §4),
/// opened for training: cameras, frame list and audio features are read up front; images, masks and
/// landmarks are streamed from disk per frame through a bounded LRU cache (`cacheBytes`), so a
/// 7,500-frame 512² dataset trains in well under 4 GB (≈ 2.4 MB per cached frame at 512²).
///
/// Frames are ordered as `transforms_train.json`'s frames followed by `transforms_val.json`'s.
/// The camera of a frame is the file's camera-to-world matrix (OpenGL axes) — in the ER-NeRF
/// convention the *world* is the head's canonical frame, so the matrix is the camera's pose relative
/// to the head, and a static head model in its own frame is seen moving.
///
/// Thread-safe: `frame(_:)` may be called from several threads (prefetching).
public final class TalkingHeadDataset: @unchecked Sendable {
    /// One frame's entry of the transforms files.
    public struct FrameRecord: Equatable, Sendable {
        public var split: TalkingHeadLayout.Split
        public var imageID: Int
        /// `aud_id` as written (defaults to `img_id` when absent, as ER-NeRF).
        public var audioID: Int
        /// 4×4 camera-to-world, OpenGL convention, rows.
        public var transform: [[Float]]
    }

    public let layout: TalkingHeadLayout
    public let width: Int
    public let height: Int
    public let focalLength: Float
    public let cx: Float
    public let cy: Float
    public let frames: [FrameRecord]
    /// Which feature file was read, and its contents ([N, a, b], or [N, C] as [N, 1, C]).
    public let featureKind: AudioFeatureKind
    public let features: NpyArray
    /// `features` as Float, row-major (read once).
    public let featureValues: [Float]
    /// `bc.jpg`, RGB.
    public let backgroundImage: Image8
    let cache: FrameCache

    /// A problem with a dataset; one line naming the file (and frame, by `img_id`).
    public enum Error: Swift.Error, CustomStringConvertible, Equatable {
        case missingFile(String)
        case frameFileMissing(String, frame: Int)
        case unreadable(String, frame: Int?, String)
        case wrongImageSize(String, frame: Int?, got: String, expected: String)
        case badLandmarks(String, frame: Int, String)
        case nonRigid(String, frame: Int)
        case badTransforms(String, String)
        case noFeatures(String)
        case badFeatures(String, String)
        case tooFewFeatureRows(String, rows: Int, maxAudioID: Int)
        case badAudio(String, String)

        public var description: String {
            func at(_ frame: Int?) -> String { frame.map { "frame \($0): " } ?? "" }
            switch self {
            case .missingFile(let f): return "\(f): missing (required by the ER-NeRF dataset layout)"
            case .frameFileMissing(let f, let i): return "\(f): frame \(i): file is missing (the frame is listed in the transforms file)"
            case .unreadable(let f, let i, let why): return "\(f): \(at(i))\(why)"
            case .wrongImageSize(let f, let i, let got, let expected): return "\(f): \(at(i))image is \(got), expected \(expected) (2cx × 2cy of the transforms file)"
            case .badLandmarks(let f, let i, let why): return "\(f): frame \(i): \(why)"
            case .nonRigid(let f, let i): return "\(f): frame \(i): transform_matrix is not a rigid camera-to-world matrix (rotation not orthonormal or last row not 0 0 0 1)"
            case .badTransforms(let f, let why): return "\(f): \(why)"
            case .noFeatures(let folder): return "\(folder): no audio feature array (aud_ap.npy, aud_ds.npy, aud_eo.npy or aud_hu.npy)"
            case .badFeatures(let f, let why): return "\(f): \(why)"
            case .tooFewFeatureRows(let f, let rows, let maxID): return "\(f): has \(rows) rows but frames use aud_id up to \(maxID) (needs at least \(maxID) rows; one short is clamped)"
            case .badAudio(let f, let why): return "\(f): \(why)"
            }
        }
    }

    /// Opens the dataset at `folder`: reads both transforms files, `bc.jpg` and the feature array
    /// (`featureKind`, or the first present in `AudioFeatureKind.preference`). Per-frame files are
    /// read lazily by `frame(_:)`; run `TalkingHeadDataset.check` to validate all of them up front.
    /// `cacheBytes` bounds the memory of decoded frames (default 512 MiB).
    public init(folder: URL, featureKind: AudioFeatureKind? = nil, cacheBytes: Int = 512 << 20) throws {
        layout = TalkingHeadLayout(folder)
        var records: [FrameRecord] = []
        var intrinsics: (Float, Float, Float)?
        for split in TalkingHeadLayout.Split.allCases {
            let url = layout.transforms(split)
            guard FileManager.default.fileExists(atPath: url.path) else { throw Error.missingFile(url.path) }
            let t: CameraTransforms
            do { t = try CameraTransforms.read(url) } catch let e as CameraTransforms.Error {
                if case .nonRigid(let f, let i) = e { throw Error.nonRigid(f, frame: Self.imageID(inFile: url, index: i) ?? i) }
                throw Error.badTransforms(url.path, String(describing: e).replacingOccurrences(of: url.path + ": ", with: ""))
            }
            if let (f, x, y) = intrinsics, f != t.focalLength || x != t.cx || y != t.cy {
                throw Error.badTransforms(url.path, "focal_len/cx/cy differ from transforms_train.json")
            }
            intrinsics = (t.focalLength, t.cx, t.cy)
            records += t.frames.map { FrameRecord(split: split, imageID: $0.imageID, audioID: $0.audioID ?? $0.imageID, transform: $0.transform) }
        }
        let (f, cx, cy) = intrinsics!
        focalLength = f; self.cx = cx; self.cy = cy
        width = Int((2 * cx).rounded()); height = Int((2 * cy).rounded())
        frames = records

        let kinds = featureKind.map { [$0] } ?? AudioFeatureKind.preference
        let layout = self.layout
        guard let kind = kinds.first(where: { FileManager.default.fileExists(atPath: layout.features($0).path) }) else {
            if let k = featureKind { throw Error.missingFile(layout.features(k).path) }
            throw Error.noFeatures(folder.path)
        }
        self.featureKind = kind
        features = try Self.readFeatures(layout.features(kind), maxAudioID: records.map(\.audioID).max() ?? 0)
        featureValues = features.floatValues()

        guard FileManager.default.fileExists(atPath: layout.background.path) else { throw Error.missingFile(layout.background.path) }
        let bc = try Self.loadImage(layout.background, frame: nil, channels: 3)
        guard bc.width == width, bc.height == height else {
            throw Error.wrongImageSize(layout.background.path, frame: nil, got: "\(bc.width)×\(bc.height)", expected: "\(width)×\(height)")
        }
        backgroundImage = bc
        cache = FrameCache(byteLimit: cacheBytes)
    }

    /// Number of frames (train + val).
    public var count: Int { frames.count }
    /// Indices into `frames` of one split.
    public func indices(_ split: TalkingHeadLayout.Split) -> [Int] { frames.indices.filter { frames[$0].split == split } }

    /// The camera of frame `index` (OpenCV axes inside `Camera`, built from the OpenGL matrix).
    public func camera(_ index: Int) -> Camera {
        Camera(cameraToWorldOpenGL: frames[index].transform, width: width, height: height,
               fx: focalLength, fy: focalLength, cx: cx, cy: cy)
    }

    /// Shape of one frame's feature window, e.g. [16, 29] (DeepSpeech) or [16, 32] (ours).
    public var featureWindowShape: [Int] { features.shape.count == 2 ? [1, features.shape[1]] : Array(features.shape.dropFirst()) }
    /// Number of feature rows N.
    public var featureRows: Int { features.shape[0] }

    /// The audio feature row of frame `index`, `featureWindowShape` values; `aud_id` is clamped to
    /// N − 1 (feature arrays often have one row fewer than there are frames).
    public func audioFeature(_ index: Int) -> [Float] { audioFeature(audioID: frames[index].audioID) }

    /// The feature row for an `aud_id`, clamped into [0, N − 1].
    public func audioFeature(audioID: Int) -> [Float] {
        let per = featureWindowShape.reduce(1, *)
        let row = min(max(audioID, 0), featureRows - 1)
        return Array(featureValues[(row * per)..<((row + 1) * per)])
    }

    /// Reads a feature array and checks its rank and row count.
    static func readFeatures(_ url: URL, maxAudioID: Int) throws -> NpyArray {
        let array: NpyArray
        do { array = try Npy.read(url) } catch { throw Error.badFeatures(url.path, "\(error)".replacingOccurrences(of: url.path + ": ", with: "")) }
        guard array.shape.count == 2 || array.shape.count == 3, array.shape[0] > 0 else {
            throw Error.badFeatures(url.path, "shape \(array.shape) is not [N, a, b] or [N, C]")
        }
        guard array.shape[0] >= maxAudioID else { throw Error.tooFewFeatureRows(url.path, rows: array.shape[0], maxAudioID: maxAudioID) }
        if case .float32 = array.values { return array }
        return NpyArray(shape: array.shape, float32: array.floatValues())
    }

    /// Reads an image with `channels` (3: gray replicated, alpha dropped; 4: RGBA), naming the frame on errors.
    static func loadImage(_ url: URL, frame: Int?, channels: Int) throws -> Image8 {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if let frame { throw Error.frameFileMissing(url.path, frame: frame) }
            throw Error.missingFile(url.path)
        }
        do {
            if url.pathExtension.lowercased() == "png" { return try PNGFile.read(url, channels: channels) }
            let jpg = try JPEGFile.read(url, channels: 3)
            if channels == 4 {
                var px = [UInt8](repeating: 255, count: jpg.width * jpg.height * 4)
                for p in 0..<(jpg.width * jpg.height) { for c in 0..<3 { px[4 * p + c] = jpg.pixels[3 * p + c] } }
                return Image8(width: jpg.width, height: jpg.height, channels: 4, pixels: px)
            }
            return jpg
        } catch let e as PNGFile.Error {
            if case .unreadable(_, let why) = e { throw Error.unreadable(url.path, frame: frame, "cannot read PNG: \(why)") }
            throw e
        } catch let e as JPEGFile.Error {
            if case .unreadable(_, let why) = e { throw Error.unreadable(url.path, frame: frame, "cannot read JPEG: \(why)") }
            throw e
        }
    }

    /// The `img_id` of entry `index` in a transforms file (for error messages), if readable.
    static func imageID(inFile url: URL, index: Int) -> Int? {
        guard let data = FileManager.default.contents(atPath: url.path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let frames = root["frames"] as? [[String: Any]], index < frames.count else { return nil }
        return (frames[index]["img_id"] as? NSNumber)?.intValue
    }
}
