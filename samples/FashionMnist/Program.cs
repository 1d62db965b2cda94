using System;
using NetCompiler.Samples.Fashion;

var topo = LeNet5.Topology;
var net = new LeNet5(); net.InitializeParameters(1);
var size = Plots.SaveFilters("/tmp/f1.png", "LeNet-5 C1 filters", topo, net.Parameters);
Console.WriteLine(size);
var mlp = new Mlp(); mlp.InitializeParameters(1);
Console.WriteLine(Plots.SaveFilters("/tmp/f2.png", "MLP hidden1: first 64 units", Mlp.Topology, mlp.Parameters));
Plots.SaveCurves("/tmp/c1.png", "LeNet-5 on Fashion-MNIST", new[] { new EpochPoint(1, 0.5, 0.4, 0.84), new EpochPoint(2, 0.35, 0.36, 0.87), new EpochPoint(3, 0.3, 0.33, 0.88) });
Plots.SaveCurves("/tmp/c2.png", "one epoch", new[] { new EpochPoint(1, 0.5, 0.4, 0.84) });
return 0;
