import ArgumentParser
import DataIO
import Foundation
import SyntheticSpeaker
import TensorCore

/// `audioplane dataset check|show|sheet`: validate and look at talking-head datasets.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Validate and inspect talking-head datasets (ER-NeRF / TalkingGaussian layout).",
        subcommands: [DatasetCheckCommand.self, DatasetShowCommand.self, DatasetSheetCommand.self])
}

/// Parses `--features ds|eo|hu|ap`.
extension AudioFeatureKind: ExpressibleByArgument {}

struct DatasetCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every file of a dataset; print all problems (file and frame), exit 1 if any.")

    @Argument(help: "Dataset folder.")
    var folder: String

    @Option(name: .long, help: "Audio feature array to require: ap, ds, eo or hu (default: whichever exists).")
    var features: AudioFeatureKind?

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let problems = TalkingHeadDataset.check(url, featureKind: features)
        if !problems.isEmpty {
            for p in problems { print(String(describing: p)) }
            FileHandle.standardError.write(Data("audioplane: \(folder): \(problems.count) problem(s)\n".utf8))
            throw ExitCode(1)
        }
        let dataset = try TalkingHeadDataset(folder: url, featureKind: features, cacheBytes: 0)
        print("\(folder): OK: \(dataset.count) frames (train \(dataset.indices(.train).count), val \(dataset.indices(.val).count)), "
              + "\(dataset.width)×\(dataset.height), focal \(dataset.focalLength), features \(dataset.featureKind.fileName) \(dataset.features.shape)")
    }
}

struct DatasetShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Draw landmarks, head/mouth masks, lips box and the projected head box on a frame (PNG).")

    @Argument(help: "Dataset folder.")
    var folder: String

    @Option(name: .long, help: "Frame img_id.")
    var frame: Int

    @Option(name: .long, help: "Output PNG.")
    var out: String

    func run() throws {
        let url = URL(fileURLWithPath: folder)
        let dataset = try TalkingHeadDataset(folder: url, cacheBytes: 0)
        guard let index = dataset.frames.firstIndex(where: { $0.imageID == frame }) else {
            throw ValidationError("\(folder): no frame with img_id \(frame) (ids \(dataset.frames.first?.imageID ?? 0)…\(dataset.frames.last?.imageID ?? 0))")
        }
        let loaded = try dataset.frame(index)
        var box: (SIMD3<Float>, SIMD3<Float>)?
        if let meta = try? SyntheticDataset.readMetadata(url), meta.headBoxMin.count == 3, meta.headBoxMax.count == 3 {
            box = (SIMD3(meta.headBoxMin[0], meta.headBoxMin[1], meta.headBoxMin[2]), SIMD3(meta.headBoxMax[0], meta.headBoxMax[1], meta.headBoxMax[2]))
        }
        try PNGFile.write(TalkingHeadDataset.overlay(loaded, headBox: box), to: URL(fileURLWithPath: out))
        print("\(out): frame \(frame) (\(loaded.split.rawValue)), landmarks green (lips magenta), head mask blue, mouth mask red, lips box yellow"
              + (box == nil ? "" : ", head box cyan"))
    }
}

struct DatasetSheetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sheet",
        abstract: "A contact sheet PNG of consecutive ground-truth frames.")

    @Argument(help: "Dataset folder.")
    var folder: String

    @Option(name: .long, help: "First frame index.")
    var start: Int = 0

    @Option(name: .long, help: "Number of frames.")
    var count: Int = 24

    @Option(name: .long, help: "Take every n-th frame.")
    var step: Int = 1

    @Option(name: .long, help: "Frames per row.")
    var columns: Int = 6

    @Flag(name: .long, help: "Crop to the lower face / mouth region (half the frame) instead of the full frame.")
    var mouth = false

    @Option(name: .long, help: "Output PNG.")
    var out: String

    func run() throws {
        let dataset = try TalkingHeadDataset(folder: URL(fileURLWithPath: folder), cacheBytes: 0)
        let indices = stride(from: start, to: min(dataset.count, start + count * step), by: max(1, step))
        let images = try indices.map { i -> Image8 in
            let f = try dataset.loadFrame(i)
            return mouth ? Self.crop(f.groundTruth, around: f.landmarks) : f.groundTruth
        }
        guard !images.isEmpty else { throw ValidationError("no frames in range") }
        try PNGFile.write(Image8.contactSheet(images, columns: columns), to: URL(fileURLWithPath: out))
        print("\(out): \(images.count) frames")
    }

    /// A square crop centred between the nose tip and the chin, half the image size.
    static func crop(_ image: Image8, around lms: Landmarks) -> Image8 {
        let side = image.width / 2
        let centre = (lms.points[33] + lms.points[8]) / 2
        let c0 = min(max(0, Int(centre.x) - side / 2), image.width - side), r0 = min(max(0, Int(centre.y) - side / 2), image.height - side)
        var px = [UInt8](); px.reserveCapacity(side * side * 3)
        for r in r0..<(r0 + side) { for c in c0..<(c0 + side) { for k in 0..<3 { px.append(image.pixels[3 * (r * image.width + c) + k]) } } }
        return Image8(width: side, height: side, channels: 3, pixels: px)
    }
}
