import Foundation
import DataIO
import Splatting
import TensorCore

/// The synthetic speaker's studio: the head (`HeadModel`, head frame), the torso (`TorsoModel`,
/// world frame), the background picture and a fixed camera.
///
/// **Pose convention (ER-NeRF).** The world frame is the head frame at rest; the camera is fixed in
/// the world at `cameraPosition`, looking down −Z with +Y up (OpenGL axes), so its camera-to-world
/// is C = [I | cameraPosition]. The head moves: head-to-world H(t) = T(translation) · T(pivot) ·
/// R(yaw, pitch, roll) · T(−pivot). The dataset's `transform_matrix` is the camera expressed in the
/// **head's canonical frame**, H(t)⁻¹ · C — exactly what ER-NeRF's face tracker writes (the inverse
/// of the tracked head pose) — so a head model static in its own frame, seen through these cameras,
/// reproduces the video. The torso and background are rendered with the fixed world camera C.
///
/// Units are metres (ER-NeRF's tracked translations are in the same decimetre/10 units, ≈ metres).
/// Focal length = 2.1 × image size pixels (≈ 27° field of view); camera 0.8 m from the head.
public final class SpeakerScene: @unchecked Sendable {
    public let identity: SpeakerIdentity
    public let head: HeadModel
    public let size: Int
    public let focalLength: Float
    /// Camera centre in the world frame (metres).
    public let cameraPosition: SIMD3<Float> = [0, -0.03, 0.80]
    /// Focal length in units of the image size.
    public static let focalFactor: Float = 2.1
    /// The point of the head frame the head rotates about (top of the neck).
    public let pivot: SIMD3<Float> = [0, -0.085, -0.01]
    let torso: TorsoModel

    /// `detail` scales the Gaussian counts (1 = full; see `HeadModel.init`).
    public init(identity: SpeakerIdentity, size: Int, detail: Float = 1) {
        self.identity = identity
        self.size = size
        focalLength = Self.focalFactor * Float(size)
        head = HeadModel(identity: identity, detail: detail)
        torso = TorsoModel(identity: identity, detail: detail)
    }

    /// The fixed camera-to-world C (OpenGL axes), 4×4 rows.
    public var cameraToWorld: [[Float]] {
        [[1, 0, 0, cameraPosition.x], [0, 1, 0, cameraPosition.y], [0, 0, 1, cameraPosition.z], [0, 0, 0, 1]]
    }

    public var worldCamera: Camera {
        Camera(cameraToWorldOpenGL: cameraToWorld, width: size, height: size, fx: focalLength, fy: focalLength,
               cx: Float(size) / 2, cy: Float(size) / 2)
    }

    /// Head-to-world H for a pose: rotation and translation (p_world = R · p_head + t).
    public func headToWorld(_ pose: HeadPose) -> (rotation: Matrix3, translation: SIMD3<Float>) {
        let r = rotation(yaw: pose.yaw, pitch: pose.pitch, roll: pose.roll)
        return (r, pivot - r * pivot + pose.translation)
    }

    /// The frame's `transform_matrix`: camera-to-head H⁻¹ · C (OpenGL axes), 4×4 rows.
    public func cameraToHead(_ pose: HeadPose) -> [[Float]] {
        let (r, t) = headToWorld(pose)
        let rt = r.transposed
        let centre = rt * (cameraPosition - t)   // camera centre in the head frame
        // Rotation block: Rᵀ · I (the camera axes expressed in the head frame).
        return [[rt.r0.x, rt.r0.y, rt.r0.z, centre.x],
                [rt.r1.x, rt.r1.y, rt.r1.z, centre.y],
                [rt.r2.x, rt.r2.y, rt.r2.z, centre.z],
                [0, 0, 0, 1]]
    }

    /// The camera that sees the static head frame for a pose.
    public func headCamera(_ pose: HeadPose) -> Camera {
        Camera(cameraToWorldOpenGL: cameraToHead(pose), width: size, height: size, fx: focalLength, fy: focalLength,
               cx: Float(size) / 2, cy: Float(size) / 2)
    }

    /// The projected 68 landmarks of a frame (pixel coordinates, `Landmarks` convention).
    public func landmarks(_ pose: HeadPose, mouth: MouthParameters, blink: Float) -> Landmarks {
        let camera = headCamera(pose)
        return Landmarks(points: head.landmarkPoints(mouth: mouth, blink: blink).map { camera.project($0).pixel })
    }

    /// The background picture (`bc.jpg` before encoding), RGB [H, W, 3].
    public func background() -> Image8 {
        Image8(floats: backgroundImage(identity: identity, width: size, height: size), width: size, height: size, channels: 3)
    }

    /// The torso layer: straight-alpha RGBA image (`torso_imgs`), and the neck / torso masks
    /// ([H, W], 1 where the layer is opaque (α ≥ 0.5) and that part dominates).
    public struct TorsoLayer: Sendable {
        public var rgba: Image8
        public var neck: [UInt8]
        public var torso: [UInt8]
    }

    public func renderTorso(_ renderer: SplatRenderer = SplatRenderer()) -> TorsoLayer {
        let pass = renderer.render(torso.cloud, camera: worldCamera, extras: torso.labels, extraChannels: 2)
        let im = pass.images
        let p = size * size
        var rgba = [UInt8](repeating: 0, count: 4 * p)
        var neck = [UInt8](repeating: 0, count: p), body = [UInt8](repeating: 0, count: p)
        for i in 0..<p {
            let a = im.alpha[i]
            let a8 = UInt8((min(max(a, 0), 1) * 255).rounded())
            rgba[4 * i + 3] = a8
            if a8 > 0 {
                let inv = 1 / max(a, 1e-6)
                for c in 0..<3 { rgba[4 * i + c] = UInt8((min(max(im.image[3 * i + c] * inv, 0), 1) * 255).rounded()) }
            }
            if a >= 0.5 {
                if im.extras[2 * i] >= im.extras[2 * i + 1] { neck[i] = 1 } else { body[i] = 1 }
            }
        }
        return TorsoLayer(rgba: Image8(width: size, height: size, channels: 4, pixels: rgba), neck: neck, torso: body)
    }

    /// The head rendered for a frame: premultiplied RGB [H, W, 3] (background 0), alpha [H, W], and
    /// optional part-label channels [H, W, E] (`labels[e]` = the parts counted in channel e).
    public func renderHead(_ pose: HeadPose, mouth: MouthParameters, blink: Float, renderer: SplatRenderer,
                           labels: [Set<HeadPart>] = []) -> RasterImages {
        let cloud = head.cloud(mouth: mouth, blink: blink)
        let extras = labels.isEmpty ? [] : head.labelExtras(labels)
        return renderer.render(cloud, camera: headCamera(pose), extras: extras, extraChannels: labels.count).images
    }

    /// The final frame: head over `background` (the torso already composited over bc.jpg), 8-bit RGB:
    /// rgb + (1 − α) · background — the same formula training uses (DESIGN.md §3).
    public static func composite(head: RasterImages, over background: Image8) -> Image8 {
        let p = head.width * head.height
        var px = [UInt8](repeating: 0, count: 3 * p)
        for i in 0..<p {
            let t = 1 - head.alpha[i]
            for c in 0..<3 {
                let v = head.image[3 * i + c] + t * Float(background.pixels[3 * i + c]) / 255
                px[3 * i + c] = UInt8((min(max(v, 0), 1) * 255).rounded())
            }
        }
        return Image8(width: head.width, height: head.height, channels: 3, pixels: px)
    }

    /// Parsing labels of a frame: head where the head's α ≥ 0.5, else the torso layer's neck/torso,
    /// else background.
    public static func parsing(head: RasterImages, torso: TorsoLayer) -> ParsingMap {
        let p = head.width * head.height
        var labels = [UInt8](repeating: ParsingMap.Label.background.rawValue, count: p)
        for i in 0..<p {
            if head.alpha[i] >= 0.5 { labels[i] = ParsingMap.Label.head.rawValue }
            else if torso.neck[i] != 0 { labels[i] = ParsingMap.Label.neck.rawValue }
            else if torso.torso[i] != 0 { labels[i] = ParsingMap.Label.torso.rawValue }
        }
        return ParsingMap(width: head.width, height: head.height, labels: labels)
    }
}
