import Foundation
import TensorCore

extension TalkingHeadDataset {
    /// Validates every file of the dataset at `folder` and returns **all** problems found (empty
    /// when the dataset is usable), each a one-line `Error` naming the file and frame (`img_id`):
    /// missing or unparsable transforms files, non-rigid matrices, frames whose `ori_imgs`,
    /// `gt_imgs`, `parsing`, `torso_imgs` or `.lms` file is missing, unreadable or of the wrong
    /// size (checked from image headers, so it is fast), landmark files without 68 "x y" lines,
    /// `bc.jpg`, `aud.wav` (16 kHz mono, duration within 2 frames of the frame count at 25 fps),
    /// and the feature array (present, [N, a, b], enough rows for the largest `aud_id`).
    public static func check(_ folder: URL, featureKind: AudioFeatureKind? = nil) -> [Error] {
        let layout = TalkingHeadLayout(folder)
        var problems: [Error] = []
        var records: [(split: TalkingHeadLayout.Split, id: Int, audioID: Int)] = []
        var size: (w: Int, h: Int)?
        for split in TalkingHeadLayout.Split.allCases {
            let url = layout.transforms(split)
            guard let data = FileManager.default.contents(atPath: url.path) else { problems.append(.missingFile(url.path)); continue }
            guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                problems.append(.badTransforms(url.path, "not a JSON object")); continue
            }
            var numbers: [String: Float] = [:]
            for key in ["focal_len", "cx", "cy"] {
                if let v = (root[key] as? NSNumber)?.floatValue, v.isFinite, v > 0 { numbers[key] = v }
                else { problems.append(.badTransforms(url.path, "'\(key)' is missing or not a positive number")) }
            }
            if let cx = numbers["cx"], let cy = numbers["cy"], size == nil { size = (Int((2 * cx).rounded()), Int((2 * cy).rounded())) }
            guard let frames = root["frames"] as? [[String: Any]] else {
                problems.append(.badTransforms(url.path, "'frames' is missing or not a list of objects")); continue
            }
            for (k, frame) in frames.enumerated() {
                guard let id = (frame["img_id"] as? NSNumber)?.intValue else {
                    problems.append(.badTransforms(url.path, "entry \(k) of 'frames' has no numeric 'img_id'")); continue
                }
                let audioID = (frame["aud_id"] as? NSNumber)?.intValue ?? id
                let rows = (frame["transform_matrix"] as? [[Any]])?.map { $0.compactMap { ($0 as? NSNumber)?.floatValue } }
                if let rows, rows.count == 4, rows.allSatisfy({ $0.count == 4 }) {
                    if !isRigid(rows) { problems.append(.nonRigid(url.path, frame: id)) }
                } else {
                    problems.append(.badTransforms(url.path, "frame \(id): 'transform_matrix' is missing or not 4×4 numbers"))
                }
                records.append((split, id, audioID))
            }
        }
        guard let (w, h) = size else { return problems }
        let expected = "\(w)×\(h)"

        func checkImage(_ url: URL, frame: Int?, alpha: Bool = false) {
            guard FileManager.default.fileExists(atPath: url.path) else {
                problems.append(frame.map { .frameFileMissing(url.path, frame: $0) } ?? .missingFile(url.path)); return
            }
            do {
                let (iw, ih, channels) = try imageHeader(url)
                if iw != w || ih != h { problems.append(.wrongImageSize(url.path, frame: frame, got: "\(iw)×\(ih)", expected: expected)) }
                if alpha && channels != 4 { problems.append(.unreadable(url.path, frame: frame, "torso image has no alpha channel (expected RGBA)")) }
            } catch {
                problems.append(.unreadable(url.path, frame: frame, "\(error)".replacingOccurrences(of: url.path + ": ", with: "")))
            }
        }

        checkImage(layout.background, frame: nil)
        for r in records {
            checkImage(layout.originalImage(r.id), frame: r.id)
            checkImage(layout.groundTruthImage(r.id), frame: r.id)
            checkImage(layout.parsing(r.id), frame: r.id)
            checkImage(layout.torsoImage(r.id), frame: r.id, alpha: true)
            let lms = layout.landmarks(r.id)
            if !FileManager.default.fileExists(atPath: lms.path) { problems.append(.frameFileMissing(lms.path, frame: r.id)) } else {
                do { _ = try Landmarks.read(lms) } catch {
                    problems.append(.badLandmarks(lms.path, frame: r.id, "\(error)".replacingOccurrences(of: lms.path + ": ", with: "")))
                }
            }
        }

        let maxAudioID = records.map(\.audioID).max() ?? 0
        let kinds = featureKind.map { [$0] } ?? AudioFeatureKind.preference
        if let kind = kinds.first(where: { FileManager.default.fileExists(atPath: layout.features($0).path) }) {
            do { _ = try readFeatures(layout.features(kind), maxAudioID: maxAudioID) } catch let e as Error { problems.append(e) } catch {}
        } else {
            problems.append(featureKind.map { .missingFile(layout.features($0).path) } ?? .noFeatures(folder.path))
        }

        if !FileManager.default.fileExists(atPath: layout.audio.path) { problems.append(.missingFile(layout.audio.path)) } else {
            do {
                let wav = try WavHeader.read(layout.audio)
                if wav.sampleRate != 16_000 || wav.channels != 1 {
                    problems.append(.badAudio(layout.audio.path, "is \(wav.sampleRate) Hz with \(wav.channels) channel(s), expected 16 kHz mono"))
                }
                let videoFrames = Double(records.count) / 25
                if abs(wav.duration - videoFrames) > 2.0 / 25 {
                    problems.append(.badAudio(layout.audio.path, String(format: "lasts %.2f s but %d frames at 25 fps last %.2f s", wav.duration, records.count, videoFrames)))
                }
            } catch { problems.append(.badAudio(layout.audio.path, "\(error)".replacingOccurrences(of: layout.audio.path + ": ", with: ""))) }
        }
        return problems
    }

    /// (width, height, channels) of a PNG (IHDR) or JPEG (TurboJPEG header), without decoding pixels.
    static func imageHeader(_ url: URL) throws -> (Int, Int, Int) {
        if url.pathExtension.lowercased() == "png" {
            guard let handle = FileHandle(forReadingAtPath: url.path) else { throw PNGFile.Error.unreadable(url.path, "cannot open") }
            defer { try? handle.close() }
            let b = [UInt8](handle.readData(ofLength: 33))
            guard b.count >= 26, b[0] == 0x89, b[1] == 0x50, b[12..<16].elementsEqual("IHDR".utf8) else {
                throw PNGFile.Error.unreadable(url.path, "not a PNG file")
            }
            func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
            let colorType = b[25]
            let channels = [0: 1, 2: 3, 3: 3, 4: 2, 6: 4][Int(colorType)] ?? 3
            return (be32(16), be32(20), channels)
        }
        let (w, h) = try JPEGFile.size(url)
        return (w, h, 3)
    }
}
