import ArgumentParser
import ConvNet
import ConvNetHarness
import Foundation

extension BenchCommand {
    /// `convnet bench allreduce`: gradient averaging against one raw MPI_Allreduce, under mpirun.
    struct AllReduce: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "allreduce",
            abstract: "Under mpirun: median time of averaging a model's gradients in buckets against one MPI_Allreduce of them all.",
            discussion: "Example: mpirun -np 2 convnet bench allreduce resnet18 (rank 0 prints the JSON).")

        @Argument(help: "Model whose parameters give the gradients: \(ModelZoo.names.joined(separator: ", ")).") var model: String
        @Option(help: "Timed rounds of each (after one warm-up round).") var rounds = 20

        func run() throws {
            guard MPICommunicator.launchedAsSeveralRanks else {
                throw ValidationError("run it under mpirun with at least 2 ranks, e.g. mpirun -np 2 convnet bench allreduce \(model)")
            }
            let world = try MPICommunicator.world()
            do {
                let result = try DistributedBenchmarks.allReduce(model: model, communicator: world, rounds: rounds)
                if world.rank == 0 { try printJSON(result) }
                world.finalize()
            } catch {
                printToStandardError("Error: rank \(world.rank) of \(world.size): \(SettingFlags.flagged(error))")
                world.abort(code: 1)
            }
        }
    }
}
