using System;

namespace NetCompiler.Tests.Reference;

/// <summary>
/// A deliberately plain multilayer perceptron in double: scalar loops, no spans, no vectorisation, derivatives
/// taken from u (not from x as the engines do), gradients of L (not of R), and its own parameter offsets. It is the
/// yardstick the engines are compared with, so it is written for obviousness, not speed.
/// </summary>
public sealed class ScalarMlp
{
    private readonly int[] _sizes;        // n_0, n_1, ..., n_L
    private readonly Activation[] _f;     // _f[l] for l = 1..L (_f[0] unused)
    private readonly int[] _weightStart;  // W^l_ij at _weightStart[l] + i·n_(l−1) + j
    private readonly int[] _biasStart;    // b^l_i at _biasStart[l] + i
    private readonly LossFunction? _loss;

    public ScalarMlp(int inputSize, (int Units, Activation Activation)[] layers, LossFunction? loss)
    {
        int L = layers.Length;
        _sizes = new int[L + 1];
        _f = new Activation[L + 1];
        _weightStart = new int[L + 1];
        _biasStart = new int[L + 1];
        _sizes[0] = inputSize;
        int next = 0;
        for (int l = 1; l <= L; l++)
        {
            _sizes[l] = layers[l - 1].Units;
            _f[l] = layers[l - 1].Activation;
            _weightStart[l] = next;
            next += _sizes[l] * _sizes[l - 1];
            _biasStart[l] = next;
            next += _sizes[l];
        }
        Parameters = new double[next];
        _loss = loss;
    }

    /// <summary>The same network as <paramref name="topology"/>, reading only its sizes, activations and loss.</summary>
    public static ScalarMlp From(NetworkTopology topology)
    {
        var layers = new (int, Activation)[topology.Layers.Count];
        for (int l = 0; l < layers.Length; l++) layers[l] = (topology.Layers[l].Outputs, topology.Layers[l].Activation);
        return new ScalarMlp(topology.InputSize, layers, topology.Loss);
    }

    public int LayerCount => _sizes.Length - 1;

    public double[] Parameters { get; }

    public double W(int l, int i, int j) => Parameters[_weightStart[l] + i * _sizes[l - 1] + j];

    public double B(int l, int i) => Parameters[_biasStart[l] + i];

    /// <summary>Everything one forward and backward pass computes.</summary>
    public sealed class Pass
    {
        public required double[][] X { get; init; }        // x^l, l = 0..L
        public required double[][] U { get; init; }        // u^l, l = 1..L
        public double Loss { get; set; }
        public double[][] DLossDU { get; init; } = [];      // ∂L/∂u^l, l = 1..L (= −û^l)
        public double[] Gradient { get; init; } = [];       // ∂L/∂θ in the parameter layout
    }

    public Pass Forward(double[] input)
    {
        int L = LayerCount;
        var x = new double[L + 1][];
        var u = new double[L + 1][];
        x[0] = (double[])input.Clone();
        u[0] = [];
        for (int l = 1; l <= L; l++)
        {
            u[l] = new double[_sizes[l]];
            for (int i = 0; i < _sizes[l]; i++)
            {
                double sum = B(l, i);
                for (int j = 0; j < _sizes[l - 1]; j++)
                    sum += W(l, i, j) * x[l - 1][j];
                u[l][i] = sum;
            }
            x[l] = Apply(_f[l], u[l]);
        }
        return new Pass { X = x, U = u };
    }

    public Pass ForwardBackward(double[] input, double[] target)
    {
        if (_loss is null) throw new InvalidOperationException("inference-only");
        Pass forward = Forward(input);
        int L = LayerCount;
        double[][] x = forward.X, u = forward.U;
        var delta = new double[L + 1][]; // δ^l = ∂L/∂u^l
        delta[0] = [];
        double loss = 0;
        int n = _sizes[L];

        if (_loss == LossFunction.CrossEntropy)
        {
            // log p_i = u_i − m − log Σ_k exp(u_k − m); ∂L/∂u_j = Σ_i d_i·(p_j − δ_ij) = p_j·Σ_i d_i − d_j.
            double m = double.NegativeInfinity;
            for (int k = 0; k < n; k++) m = Math.Max(m, u[L][k]);
            double z = 0;
            for (int k = 0; k < n; k++) z += Math.Exp(u[L][k] - m);
            double targetSum = 0;
            for (int i = 0; i < n; i++)
            {
                targetSum += target[i];
                if (target[i] != 0) loss -= target[i] * (u[L][i] - m - Math.Log(z));
            }
            delta[L] = new double[n];
            for (int j = 0; j < n; j++) delta[L][j] = x[L][j] * targetSum - target[j];
        }
        else
        {
            // L = ½ Σ (d_i − x_i)², ∂L/∂x_i = x_i − d_i, then through f by the chain rule.
            var dLdx = new double[n];
            for (int i = 0; i < n; i++)
            {
                loss += 0.5 * (target[i] - x[L][i]) * (target[i] - x[L][i]);
                dLdx[i] = x[L][i] - target[i];
            }
            delta[L] = new double[n];
            if (_f[L] == Activation.Softmax)
            {
                // Full Jacobian ∂x_i/∂u_j = x_i (δ_ij − x_j), summed explicitly.
                for (int j = 0; j < n; j++)
                    for (int i = 0; i < n; i++)
                        delta[L][j] += dLdx[i] * x[L][i] * ((i == j ? 1.0 : 0.0) - x[L][j]);
            }
            else
            {
                for (int j = 0; j < n; j++) delta[L][j] = dLdx[j] * Derivative(_f[L], u[L][j]);
            }
        }

        var gradient = new double[Parameters.Length];
        for (int l = L; l >= 1; l--)
        {
            for (int i = 0; i < _sizes[l]; i++)
            {
                gradient[_biasStart[l] + i] = delta[l][i];
                for (int j = 0; j < _sizes[l - 1]; j++)
                    gradient[_weightStart[l] + i * _sizes[l - 1] + j] = delta[l][i] * x[l - 1][j];
            }
            if (l == 1) break;
            delta[l - 1] = new double[_sizes[l - 1]];
            for (int j = 0; j < _sizes[l - 1]; j++)
            {
                double back = 0;
                for (int i = 0; i < _sizes[l]; i++) back += W(l, i, j) * delta[l][i];
                delta[l - 1][j] = back * Derivative(_f[l - 1], u[l - 1][j]);
            }
        }
        return new Pass { X = x, U = u, Loss = loss, DLossDU = delta, Gradient = gradient };
    }

    private static double[] Apply(Activation f, double[] u)
    {
        var x = new double[u.Length];
        if (f == Activation.Softmax)
        {
            double m = double.NegativeInfinity;
            foreach (double v in u) m = Math.Max(m, v);
            double z = 0;
            for (int i = 0; i < u.Length; i++) z += Math.Exp(u[i] - m);
            for (int i = 0; i < u.Length; i++) x[i] = Math.Exp(u[i] - m) / z;
            return x;
        }
        for (int i = 0; i < u.Length; i++)
        {
            x[i] = f switch
            {
                Activation.Identity => u[i],
                Activation.Sigmoid => 1.0 / (1.0 + Math.Exp(-u[i])),
                Activation.Tanh => Math.Tanh(u[i]),
                Activation.ReLU => u[i] > 0 ? u[i] : 0.0,
                Activation.LeakyReLU => u[i] > 0 ? u[i] : 0.01 * u[i],
                _ => throw new ArgumentOutOfRangeException(nameof(f)),
            };
        }
        return x;
    }

    private static double Derivative(Activation f, double u)
    {
        switch (f)
        {
            case Activation.Identity: return 1;
            case Activation.Sigmoid:
                double s = 1.0 / (1.0 + Math.Exp(-u));
                return s * (1 - s);
            case Activation.Tanh:
                double c = Math.Cosh(u);
                return 1.0 / (c * c); // sech², a different formula from the engines' 1 − x²
            case Activation.ReLU: return u > 0 ? 1 : 0;
            case Activation.LeakyReLU: return u > 0 ? 1 : 0.01;
            default: throw new ArgumentOutOfRangeException(nameof(f));
        }
    }
}
