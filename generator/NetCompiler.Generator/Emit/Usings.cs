// The namespaces every emitter and the planner use, imported once for the generator instead of at the top of each file.
global using System;
global using System.Collections.Generic;
global using System.Globalization;
global using System.Linq;
global using NetCompiler.Generator.Model;
global using NetCompiler.Generator.Plan;
global using static NetCompiler.Generator.Plan.Tuning;
