using RealtimeUpscale.Network;
using RealtimeUpscale.Network.Passes;
using Xunit;
using static RealtimeUpscale.Tests.Passes.PassGraphs;

namespace RealtimeUpscale.Tests.Passes;

public sealed class DeadNodeEliminationTests
{
    [Fact]
    public void NodesTheOutputDoesNotNeedGoAndTheRestKeepTheirOrder()
    {
        var rng = new Random(1);
        var before = new ModelDefinition(Info(2), "x", "out", new[]
        {
            Node("a", Conv(rng, 2, 3, 3, Padding.All(1)), "x"),
            Node("dead1", Affine(rng, 3), "a"),
            Node("b", Conv(rng, 3, 2, 1), "a"),
            Node("dead2", new BinarySpec(BinaryOperator.Mul), "dead1", "dead1"),
            new ModelNode("c", new BinarySpec(BinaryOperator.Add), new[] { "b", "x" }, "out"),
        });
        var after = ApplyAndCompare(new DeadNodeElimination(), before);
        Assert.Equal(new[] { "a", "b", "c" }, after.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void AGraphWithoutDeadNodesIsReturnedAsItIs()
    {
        var rng = new Random(2);
        var before = Graph(1, Node("a", Conv(rng, 1, 1, 3), "x"));
        Assert.Same(before, new DeadNodeElimination().Apply(before));
    }
}
