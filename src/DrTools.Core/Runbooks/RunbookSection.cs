using DrTools.Core.Sandboxes;
using YamlDotNet.RepresentationModel;

namespace DrTools.Core.Runbooks;

public enum RunbookSection { PreCheck, Step, Cleanup, AbortCondition }
