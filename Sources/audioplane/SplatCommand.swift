import ArgumentParser
import DataIO
import Foundation
import Splatting
import TensorCore
import Training

/// `audioplane splat …`: plain 3D Gaussian splatting (render, fit, and a sample scene).
struct SplatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "splat",
        abstract: "Plain 3D Gaussian splatting: render and fit scenes (3DGS PLY + transforms JSON).",
        subcommands: [SplatRender.self, SplatFit.self, SplatSample.self, SplatTour.self])
}

/// Parses "r,g,b" with components in [0, 1].
struct RGBArgument: ExpressibleByArgument {
    var value: SIMD3<Float>
    init?(argument: String) {
        let parts = argument.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { return nil }
        value = SIMD3(parts[0], parts[1], parts[2])
    }
    static var defaultValueDescription: String { "r,g,b in [0,1]" }
}

struct ThreadOptions: ParsableArguments {
    @Option(help: "Worker threads (default: all cores, or AUDIOPLANE_THREADS).")
    var threads: Int?

    func apply() throws {
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be positive") }
            ThreadSettings.threadCount = threads
        }
    }
}

struct SplatRender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a 3DGS PLY from every camera of a transforms JSON into DIR/<img_id>.png.")

    @Argument(help: "Scene: a standard 3DGS PLY file.")
    var scene: String
    @Option(help: "Cameras: a transforms_*.json file (focal_len, cx, cy, frames[img_id, transform_matrix]).")
    var transforms: String
    @Option(help: "Output folder (created if missing).")
    var out: String
    @Option(help: "Background colour r,g,b in [0,1].")
    var background: RGBArgument = RGBArgument(argument: "0,0,0")!
    @Flag(help: "Also write float32 DIR/<img_id>.npy of shape [H,W,3].")
    var npy = false
    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        try threadOptions.apply()
        let cloud = try GaussianCloud.readPLY(URL(fileURLWithPath: scene))
        let cams = try CameraTransforms.read(URL(fileURLWithPath: transforms))
        let outURL = URL(fileURLWithPath: out)
        try createFolder(outURL)
        let renderer = SplatRenderer()
        let settings = RenderSettings(background: background.value)
        let progress = ProgressReporter(stage: "render", total: cams.frames.count)
        for (i, frame) in cams.frames.enumerated() {
            let pass = renderer.render(cloud, camera: cams.camera(i), settings: settings)
            let img = pass.images
            try PNGFile.write(Image8(floats: img.image, width: img.width, height: img.height, channels: 3),
                              to: outURL.appendingPathComponent("\(frame.imageID).png"))
            if npy {
                try Npy.write(NpyArray(shape: [img.height, img.width, 3], float32: img.image),
                              to: outURL.appendingPathComponent("\(frame.imageID).npy"))
            }
            progress.update(i + 1)
        }
        let ms = renderer.timings.order.map { String(format: "%@ %.1f ms", $0, renderer.timings.meanMilliseconds($0)) }
        logLine("rendered \(cams.frames.count) frames of \(cloud.count) Gaussians to \(out) (per frame: \(ms.joined(separator: ", ")))")
    }
}

struct SplatFit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit a static 3DGS scene to posed images.",
        discussion: """
        DATA holds transforms_train.json (and optionally transforms_val.json for held-out PSNR).
        Images are read as <folder>/<img_id>.png, the folder being --images if given, else the
        JSON's "image_folder" key (relative to DATA), else DATA/images. The start is --init PLY if
        given, else random Gaussians in the box that the cameras look at (--init-count of them).
        """)

    @Option(help: "Dataset folder with transforms_train.json.")
    var data: String
    @Option(help: "Output 3DGS PLY.")
    var out: String
    @Option(help: "Optimisation iterations (3DGS schedule compressed to this length).")
    var iterations: Int = 3000
    @Option(help: "Folder of <img_id>.png images (overrides the JSON's image_folder).")
    var images: String?
    @Option(help: "Initial PLY (otherwise random Gaussians).")
    var initial: String?
    @Option(help: "Number of random initial Gaussians.")
    var initCount: Int = 2000
    @Option(help: "SH degree of a random start (0-3).")
    var shDegree: Int = 2
    @Option(help: "Half size of the random start box around the origin.")
    var initRadius: Float = 0.15
    @Option(help: "Background colour r,g,b in [0,1] (must match the images').")
    var background: RGBArgument = RGBArgument(argument: "0,0,0")!
    @Option(help: "Upper bound on the number of Gaussians during densification.")
    var maxGaussians: Int = 300_000
    @Option(help: "Random seed.")
    var seed: UInt64 = 0
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard maxGaussians > 0 else { throw ValidationError("--max-gaussians must be positive") }
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        guard (0...3).contains(shDegree) else { throw ValidationError("--sh-degree must be 0...3") }
        guard initCount > 0 else { throw ValidationError("--init-count must be positive") }
    }

    func run() throws {
        try threadOptions.apply()
        let dataURL = URL(fileURLWithPath: data)
        let train = try loadViews(dataURL, file: "transforms_train.json")
        let valURL = dataURL.appendingPathComponent("transforms_val.json")
        let val = FileManager.default.fileExists(atPath: valURL.path) ? try loadViews(dataURL, file: "transforms_val.json") : []
        let start: GaussianCloud
        if let initial {
            start = try GaussianCloud.readPLY(URL(fileURLWithPath: initial))
        } else {
            let r = SIMD3<Float>(repeating: initRadius)
            start = SyntheticScenes.randomBox(count: initCount, lo: -r, hi: r, shDegree: shDegree, seed: seed)
        }
        var settings = StaticFitSettings.scaled(iterations: iterations)
        settings.seed = seed
        settings.render.background = background.value
        settings.densification.maxGaussians = maxGaussians
        let fitter = StaticSceneFitter(cloud: start, views: train, settings: settings)
        let progress = ProgressReporter(stage: "fit", total: iterations)
        for it in 1...iterations {
            let loss = fitter.step()
            progress.update(it, extra: String(format: "loss %.4f | %d Gaussians", loss, fitter.cloud.count))
        }
        try fitter.cloud.writePLY(URL(fileURLWithPath: out))
        let trainPSNR = fitter.psnr(on: train)
        var summary = String(format: "wrote %@: %d Gaussians, train PSNR %.2f dB", out, fitter.cloud.count, trainPSNR)
        if !val.isEmpty { summary += String(format: ", held-out PSNR %.2f dB (%d views)", fitter.psnr(on: val), val.count) }
        print(summary)
    }

    func loadViews(_ dataURL: URL, file: String) throws -> [FitView] {
        let cams = try CameraTransforms.read(dataURL.appendingPathComponent(file))
        let folder = images.map { URL(fileURLWithPath: $0) }
            ?? dataURL.appendingPathComponent(cams.imageFolder ?? "images")
        return try cams.frames.indices.map { i in
            let url = folder.appendingPathComponent("\(cams.frames[i].imageID).png")
            let img = try PNGFile.read(url, channels: 3)
            guard img.width == cams.width, img.height == cams.height else {
                throw ValidationError("\(url.path): image is \(img.width)×\(img.height), \(file) says \(cams.width)×\(cams.height)")
            }
            return FitView(camera: cams.camera(i), image: img.rgbFloats)
        }
    }
}

struct SplatSample: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write a sample scene: a head-sized Gaussian cloud, orbit cameras and their images.",
        discussion: """
        Writes OUT/scene.ply, OUT/transforms_train.json, OUT/transforms_val.json and
        OUT/images/<img_id>.png (every 5th camera goes to val). Use it to try `splat render` and
        `splat fit` without any download.
        """)

    @Option(help: "Output folder.")
    var out: String
    @Option(help: "Number of Gaussians.")
    var count: Int = 30_000
    @Option(help: "Number of cameras.")
    var views: Int = 20
    @Option(help: "Image size in pixels (square).")
    var size: Int = 256
    @Option(help: "Random seed.")
    var seed: UInt64 = 1
    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        guard count > 0, views > 0, size >= 16 else { throw ValidationError("--count, --views must be positive and --size ≥ 16") }
    }

    func run() throws {
        try threadOptions.apply()
        let (train, val) = try writeSampleScene(to: URL(fileURLWithPath: out), count: count, views: views, size: size, seed: seed)
        print("wrote \(out): scene.ply (\(count) Gaussians), \(train) train + \(val) val views at \(size)×\(size)")
    }
}

/// Writes the sample scene (see `SplatSample`) and returns the number of train and val views.
func writeSampleScene(to outURL: URL, count: Int, views: Int, size: Int, seed: UInt64) throws -> (Int, Int) {
    try createFolder(outURL.appendingPathComponent("images"))
    let cloud = SyntheticScenes.head(count: count, shDegree: 2, seed: seed)
    try cloud.writePLY(outURL.appendingPathComponent("scene.ply"))
    let focal = Float(size) * 1200 / 512
    let cams = SyntheticScenes.orbitCameras(count: views, distance: 0.5, width: size, height: size, focal: focal)
    let renderer = SplatRenderer()
    var train: [CameraTransforms.Frame] = [], val: [CameraTransforms.Frame] = []
    for (i, cam) in cams.enumerated() {
        let img = renderer.render(cloud, camera: cam).images
        try PNGFile.write(Image8(floats: img.image, width: size, height: size, channels: 3),
                          to: outURL.appendingPathComponent("images/\(i).png"))
        let frame = CameraTransforms.Frame(imageID: i, transform: cam.cameraToWorldOpenGL)
        if i % 5 == 4 { val.append(frame) } else { train.append(frame) }
    }
    let half = Float(size) / 2
    try CameraTransforms(focalLength: focal, cx: half, cy: half, frames: train, imageFolder: "images")
        .write(outURL.appendingPathComponent("transforms_train.json"))
    try CameraTransforms(focalLength: focal, cx: half, cy: half, frames: val, imageFolder: "images")
        .write(outURL.appendingPathComponent("transforms_val.json"))
    return (train.count, val.count)
}
