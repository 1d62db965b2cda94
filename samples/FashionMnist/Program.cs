// Trains a generated LeNet-5 (or an MLP) on Fashion-MNIST and writes its weights, learning curves and first-layer
// filters. Usage: dotnet run -c Release --project samples/FashionMnist [-- --help]
using NetCompiler.Samples.Fashion;

return FashionApp.Run(args, AppConsole.System());
