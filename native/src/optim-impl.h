// Fused optimizer updates (SGD, Adam/AdamW, RMSProp, AdaGrad), included by kernels-impl.h inside
// the per-ISA namespace. One sweep over the weight, its gradient and its states; each rule's
// branches are chosen outside the loop so every loop is a straight line the vectorizer handles.
//
// The arithmetic is the reference backend's (src/backend/ref/optim.ts), in double precision with
// one rounding per store, written in the same order (-ffp-contract=off keeps the compiler from
// fusing a multiply and an add): float32 weights get the same bits as in JavaScript. Hyper-
// parameters arrive by value, so no store through a weight pointer can alias them.

// As in PyTorch, the weight decay term is skipped when wd is 0; a clip of Infinity is the identity.
template <typename T>
static void sgdRange(T* __restrict w, const T* __restrict gr, T* __restrict mom, int64_t lo, int64_t hi,
                     double lr, double wd, double rescale, double clip, double mu, bool nesterov) {
  const double nclip = -clip;
  const bool decay = wd != 0;
  if (mom == nullptr && !decay && clip == INFINITY) {
    for (int64_t i = lo; i < hi; i++) w[i] = T((double)w[i] - lr * ((double)gr[i] * rescale));
  } else if (mom == nullptr) {
    for (int64_t i = lo; i < hi; i++) {
      double g = (double)gr[i] * rescale;
      const double wi = w[i];
      g = g > clip ? clip : (g < nclip ? nclip : g);
      if (decay) g += wd * wi;
      w[i] = T(wi - lr * g);
    }
  } else if (nesterov) {
    for (int64_t i = lo; i < hi; i++) {
      double g = (double)gr[i] * rescale;
      const double wi = w[i];
      g = g > clip ? clip : (g < nclip ? nclip : g);
      if (decay) g += wd * wi;
      const double m = mu * (double)mom[i] + g;
      mom[i] = T(m);
      w[i] = T(wi - lr * (g + mu * m));
    }
  } else {
    for (int64_t i = lo; i < hi; i++) {
      double g = (double)gr[i] * rescale;
      const double wi = w[i];
      g = g > clip ? clip : (g < nclip ? nclip : g);
      if (decay) g += wd * wi;
      const double m = mu * (double)mom[i] - lr * g;
      mom[i] = T(m);
      w[i] = T(wi + m);
    }
  }
}

template <typename T>
static void adamRange(T* __restrict w, const T* __restrict gr, T* __restrict mean, T* __restrict var, int64_t lo,
                      int64_t hi, double lr, double wd, double rescale, double clip, double beta1, double beta2,
                      double eps, bool decoupled, double decay) {
  const double nclip = -clip, c1 = 1.0 - beta1, c2 = 1.0 - beta2;
  if (decoupled) {
    for (int64_t i = lo; i < hi; i++) {
      double g = (double)gr[i] * rescale;
      g = g > clip ? clip : (g < nclip ? nclip : g);
      const double m = beta1 * (double)mean[i] + c1 * g;
      const double v = beta2 * (double)var[i] + c2 * g * g;
      mean[i] = T(m);
      var[i] = T(v);
      const double wi = w[i];
      w[i] = T(wi - lr * (m / (sqrt(v) + eps)) - decay * wi);
    }
    return;
  }
  for (int64_t i = lo; i < hi; i++) {
    const double wi = w[i];
    double g = (double)gr[i] * rescale + wd * wi;
    g = g > clip ? clip : (g < nclip ? nclip : g);
    const double m = beta1 * (double)mean[i] + c1 * g;
    const double v = beta2 * (double)var[i] + c2 * g * g;
    mean[i] = T(m);
    var[i] = T(v);
    w[i] = T(wi - lr * (m / (sqrt(v) + eps)));
  }
}

template <typename T>
static void rmspropRange(T* __restrict w, const T* __restrict gr, T* __restrict ns, T* __restrict gs,
                         T* __restrict ds, int64_t lo, int64_t hi, double lr, double wd, double rescale, double clip,
                         double gamma1, double gamma2, double eps, double cw) {
  const double nclip = -clip, ncw = -cw, c1 = 1.0 - gamma1;
  if (gs == nullptr) {
    for (int64_t i = lo; i < hi; i++) {
      const double wi = w[i];
      double g = (double)gr[i] * rescale + wd * wi;
      g = g > clip ? clip : (g < nclip ? nclip : g);
      const double s = gamma1 * (double)ns[i] + c1 * g * g;
      ns[i] = T(s);
      const double u = wi - (lr * g) / sqrt(s + eps);
      w[i] = T(u > cw ? cw : (u < ncw ? ncw : u));
    }
    return;
  }
  for (int64_t i = lo; i < hi; i++) {
    const double wi = w[i];
    double g = (double)gr[i] * rescale + wd * wi;
    g = g > clip ? clip : (g < nclip ? nclip : g);
    const double s = gamma1 * (double)ns[i] + c1 * g * g;
    const double gb = gamma1 * (double)gs[i] + c1 * g;
    const double d = gamma2 * (double)ds[i] - (lr * g) / sqrt(s - gb * gb + eps);
    ns[i] = T(s);
    gs[i] = T(gb);
    ds[i] = T(d);
    const double u = wi + d;
    w[i] = T(u > cw ? cw : (u < ncw ? ncw : u));
  }
}

template <typename T>
static void adagradRange(T* __restrict w, const T* __restrict gr, T* __restrict hs, int64_t lo, int64_t hi,
                         double lr, double wd, double rescale, double clip, double eps) {
  const double nclip = -clip;
  for (int64_t i = lo; i < hi; i++) {
    double g = (double)gr[i] * rescale;
    g = g > clip ? clip : (g < nclip ? nclip : g);
    const double h = (double)hs[i] + g * g;
    hs[i] = T(h);
    const double wi = w[i];
    w[i] = T(wi - lr * (g / sqrt(h + eps) + wd * wi));
  }
}

template <typename T> static void optimT(const Runtime& rt, const OptimArgs& a) {
  T* w = static_cast<T*>(a.w);
  const T* g = static_cast<const T*>(a.g);
  T* s0 = static_cast<T*>(a.s0);
  T* s1 = static_cast<T*>(a.s1);
  T* s2 = static_cast<T*>(a.s2);
  const double* p = a.p;
  // Parallel from 8K elements per task: each element costs a dozen double operations, so even a
  // small Dense weight pays for waking the pool.
  parallelRange(rt, a.n, kCheapGrain / 4, [&](int64_t lo, int64_t hi) {
    switch (a.kind) {
      case OPT_SGD: sgdRange(w, g, s0, lo, hi, p[0], p[1], p[2], p[3], p[4], p[5] != 0); break;
      case OPT_ADAM:
        adamRange(w, g, s0, s1, lo, hi, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7] != 0, p[8]);
        break;
      case OPT_RMSPROP: rmspropRange(w, g, s0, s1, s2, lo, hi, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]); break;
      case OPT_ADAGRAD: adagradRange(w, g, s0, lo, hi, p[0], p[1], p[2], p[3], p[4]); break;
    }
  });
}

static bool optimAny(const Runtime& rt, int dt, const OptimArgs& a) {
  if (a.kind < 0 || a.kind >= OPT_COUNT) return false;
  if (a.n == 0) return true;
  if (dt == F32) optimT<float>(rt, a);
  else if (dt == F64) optimT<double>(rt, a);
  else return false;
  return true;
}
