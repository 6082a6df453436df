import Foundation
import TensorCore

/// Everything training needs from one frame of a `TalkingHeadDataset` (DESIGN.md §3–4).
/// Images are 8-bit ([H, W, C] row-major); use `Image8.floats` / `rgbFloats` for [0, 1] Floats.
public struct TalkingHeadFrame: Sendable {
    /// Position in `TalkingHeadDataset.frames`, and the frame's ids.
    public var index: Int
    public var imageID: Int
    public var split: TalkingHeadLayout.Split
    /// The camera: the file's camera-to-world (camera pose in the head's frame, OpenGL axes).
    public var camera: Camera
    /// `gt_imgs/<id>.jpg`: the frame with its background replaced by `bc.jpg`, RGB [H, W, 3].
    public var groundTruth: Image8
    /// What the head is rendered over: `torso_imgs/<id>.png` (RGBA) composited over `bc.jpg`,
    /// RGB [H, W, 3] (ER-NeRF's `bg_torso_img`).
    public var background: Image8
    /// `parsing/<id>.png` decoded.
    public var parsing: ParsingMap
    /// [H, W], 1 where the parsing map says head.
    public var headMask: [UInt8]
    /// [H, W], 1 inside the dilated lips polygon (`Landmarks.mouthMask`).
    public var mouthMask: [UInt8]
    /// `ori_imgs/<id>.lms`.
    public var landmarks: Landmarks
    /// ER-NeRF's square lips box from landmarks 48–59.
    public var lipsRectangle: PixelRect
    /// The audio feature window (`TalkingHeadDataset.featureWindowShape`), aud_id clamped.
    public var audioFeature: [Float]

    /// Approximate bytes held (for the cache budget).
    var byteCount: Int {
        groundTruth.pixels.count + background.pixels.count + parsing.labels.count + headMask.count + mouthMask.count
            + 4 * audioFeature.count + 600
    }
}

extension TalkingHeadDataset {
    /// Frame `index` (0 ..< count), from the cache or decoded from disk. Throws a one-line error
    /// naming the file and the frame (`img_id`) when a file is missing, unreadable or mis-sized.
    public func frame(_ index: Int) throws -> TalkingHeadFrame {
        if let cached = cache.get(index) { return cached }
        let loaded = try loadFrame(index)
        cache.put(index, loaded, bytes: loaded.byteCount)
        return loaded
    }

    /// Decodes frame `index` from disk without touching the cache.
    public func loadFrame(_ index: Int) throws -> TalkingHeadFrame {
        let record = frames[index]
        let id = record.imageID
        func sized(_ url: URL, channels: Int) throws -> Image8 {
            let image = try Self.loadImage(url, frame: id, channels: channels)
            guard image.width == width, image.height == height else {
                throw Error.wrongImageSize(url.path, frame: id, got: "\(image.width)×\(image.height)", expected: "\(width)×\(height)")
            }
            return image
        }
        let gt = try sized(layout.groundTruthImage(id), channels: 3)
        let torso = try sized(layout.torsoImage(id), channels: 4)
        let parsingImage = try sized(layout.parsing(id), channels: 3)
        let lmsURL = layout.landmarks(id)
        guard FileManager.default.fileExists(atPath: lmsURL.path) else { throw Error.frameFileMissing(lmsURL.path, frame: id) }
        let landmarks: Landmarks
        do { landmarks = try Landmarks.read(lmsURL) } catch {
            throw Error.badLandmarks(lmsURL.path, frame: id, "\(error)".replacingOccurrences(of: lmsURL.path + ": ", with: ""))
        }
        let parsing = ParsingMap(image: parsingImage)
        return TalkingHeadFrame(
            index: index, imageID: id, split: record.split, camera: camera(index), groundTruth: gt,
            background: Self.composite(torso, over: backgroundImage), parsing: parsing,
            headMask: parsing.mask(.head), mouthMask: landmarks.mouthMask(width: width, height: height),
            landmarks: landmarks, lipsRectangle: landmarks.lipsRectangle(width: width, height: height),
            audioFeature: audioFeature(index))
    }

    /// Only what inference needs of frame `index`: the torso image over `bc.jpg` ([H, W, 3] RGB),
    /// decoded from disk (no ground truth, parsing or landmarks). Same errors as `loadFrame`.
    public func loadBackground(_ index: Int) throws -> Image8 {
        let id = frames[index].imageID
        let url = layout.torsoImage(id)
        let torso = try Self.loadImage(url, frame: id, channels: 4)
        guard torso.width == width, torso.height == height else {
            throw Error.wrongImageSize(url.path, frame: id, got: "\(torso.width)×\(torso.height)", expected: "\(width)×\(height)")
        }
        return Self.composite(torso, over: backgroundImage)
    }

    /// `top` (RGBA, straight alpha) over `bottom` (RGB), rounded to 8 bits: top·a + bottom·(1 − a).
    public static func composite(_ top: Image8, over bottom: Image8) -> Image8 {
        precondition(top.channels == 4 && bottom.channels == 3 && top.width == bottom.width && top.height == bottom.height)
        var out = [UInt8](repeating: 0, count: bottom.pixels.count)
        top.pixels.withUnsafeBufferPointer { t in
            bottom.pixels.withUnsafeBufferPointer { b in
                for p in 0..<(top.width * top.height) {
                    let a = UInt32(t[4 * p + 3])
                    for c in 0..<3 {
                        out[3 * p + c] = UInt8((UInt32(t[4 * p + c]) * a + UInt32(b[3 * p + c]) * (255 - a) + 127) / 255)
                    }
                }
            }
        }
        return Image8(width: bottom.width, height: bottom.height, channels: 3, pixels: out)
    }

    /// Bytes of decoded frames currently cached, and the limit.
    public var cacheUsage: (bytes: Int, limit: Int, frames: Int) { cache.usage }
}

/// A least-recently-used cache of decoded frames bounded by bytes (thread-safe).
final class FrameCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Int: (frame: TalkingHeadFrame, bytes: Int, stamp: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var bytes = 0
    let byteLimit: Int

    init(byteLimit: Int) { self.byteLimit = max(0, byteLimit) }

    var usage: (bytes: Int, limit: Int, frames: Int) {
        lock.lock(); defer { lock.unlock() }
        return (bytes, byteLimit, entries.count)
    }

    func get(_ key: Int) -> TalkingHeadFrame? {
        lock.lock(); defer { lock.unlock() }
        guard var e = entries[key] else { return nil }
        clock += 1; e.stamp = clock; entries[key] = e
        return e.frame
    }

    func put(_ key: Int, _ frame: TalkingHeadFrame, bytes size: Int) {
        lock.lock(); defer { lock.unlock() }
        guard size <= byteLimit else { return }
        if let old = entries[key] { bytes -= old.bytes }
        clock += 1
        entries[key] = (frame, size, clock)
        bytes += size
        while bytes > byteLimit, let victim = entries.min(by: { $0.value.stamp < $1.value.stamp }) {
            bytes -= victim.value.bytes
            entries[victim.key] = nil
        }
    }
}
