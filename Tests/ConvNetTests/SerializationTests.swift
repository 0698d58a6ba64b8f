import ConvNet
import Foundation
import Testing

@Suite("safetensors and atomic files")
struct SerializationTests {
    @Test("round trip keeps names, shapes, values and metadata")
    func roundTrip() throws {
        var gen = RandomGenerator(seed: 1)
        let a = Tensor.randn([2, 3, 4], generator: &gen), b = Tensor(5)
        let data = try SafeTensors.encode(.init(tensors: [("conv.weight", a), ("step", b)], metadata: ["epoch": "3"]))
        #expect(data.count % 4 == 0)
        let back = try SafeTensors.decode(data, source: "mem")
        #expect(back.tensors.map(\.name) == ["conv.weight", "step"])
        #expect(back.tensors[0].tensor.shape == [2, 3, 4] && back.tensors[0].tensor.scalars == a.scalars)
        #expect(back.tensors[1].tensor.shape == [] && back.tensors[1].tensor.scalars == [5])
        #expect(back.metadata == ["epoch": "3"])
    }

    @Test("reads other dtypes PyTorch writes (I64 counters, F16, BF16)")
    func otherDtypes() throws {
        let header = #"{"n":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"h":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[12,14]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        withUnsafeBytes(of: Int64(42).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: [0x00, 0x3C, 0x00, 0xC0] as [UInt8])  // 1.0, -2.0 in half precision
        data.append(contentsOf: [0x40, 0x40] as [UInt8])  // 3.0 in bfloat16
        let back = try SafeTensors.decode(data, source: "mem").dictionary
        #expect(back["n"]?.scalars == [42] && back["h"]?.scalars == [1, -2] && back["b"]?.scalars == [3])
    }

    @Test("truncated or malformed files give errors naming the problem")
    func malformed() throws {
        let good = try SafeTensors.encode(.init(tensors: [("w", Tensor.ones([4]))]))
        func message(_ data: Data) -> String {
            do { _ = try SafeTensors.decode(data, source: "x.safetensors"); return "accepted" } catch { return "\(error)" }
        }
        #expect(message(good.prefix(5)).contains("too short"))
        #expect(message(good.prefix(20)).contains("exceeds the file"))
        #expect(message(good.prefix(good.count - 4)).contains("outside"))
        var badJSON = good
        badJSON[8] = UInt8(ascii: "]")
        #expect(message(badJSON).contains("not a JSON object"))
        #expect(message(good).contains("accepted"))
        // Header numbers built to overflow: an offset near 2⁶³, a shape whose product exceeds Int.
        func file(_ header: String) -> Data {
            var data = Data()
            withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
            return data + Data(header.utf8) + Data(count: 16)
        }
        #expect(message(file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,9223372036854775807]}}"#)).contains("outside"))
        let huge = message(file(#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,16]}}"#))
        #expect(huge.contains("needs more than"), "\(huge)")
    }

    @Test("atomic writes replace the file and leave no temporary behind")
    func atomicWrite() throws {
        let dir = NSTemporaryDirectory() + "convnet-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AtomicFile.write(Data("one".utf8), to: dir + "/f")
        try AtomicFile.write(Data("two".utf8), to: dir + "/f")
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/f")), as: UTF8.self) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["f"])
        #expect(throws: ConvNetError.self) { try AtomicFile.write(Data(), to: dir + "/missing/f") }
    }
}
