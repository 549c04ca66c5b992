// Adam whose learning rate can change between steps and whose whole state can be saved and restored
// bit for bit (iterations, moments and the running beta powers), for training checkpoints.
import * as tf from "@tensorflow/tfjs";

export interface AdamState {
  iterations: number;
  accBeta1: Float32Array;
  accBeta2: Float32Array;
  /** first moments, then second moments, in the optimizer's variable order */
  moments: Array<{ shape: number[]; data: Float32Array }>;
}

/** Adam whose learning rate can change between steps, and whose state can be saved and restored bit for bit. */
export class ScheduledAdam extends tf.AdamOptimizer {
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  /**
   * The running products beta^(t+1), private in tf.AdamOptimizer. Its setWeights recomputes them
   * with pow(), which rounds differently than the running product, so checkpoints keep them as they are.
   */
  private get betaPowers(): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
    return this as unknown as { accBeta1: tf.Variable; accBeta2: tf.Variable };
  }

  async saveState(): Promise<AdamState> {
    const [iter, ...moments] = await this.getWeights();
    const iterations = (await iter!.tensor.data())[0]!;
    iter!.tensor.dispose();
    const { accBeta1, accBeta2 } = this.betaPowers;
    return {
      iterations,
      accBeta1: (await accBeta1.data()).slice() as Float32Array,
      accBeta2: (await accBeta2.data()).slice() as Float32Array,
      moments: await Promise.all(moments.map(async (m) => ({ shape: m.tensor.shape, data: (await m.tensor.data()).slice() as Float32Array }))),
    };
  }

  async restoreState(state: AdamState): Promise<void> {
    const named = [
      { name: "iter", tensor: tf.scalar(state.iterations, "int32") as tf.Tensor },
      ...state.moments.map((m, i) => ({ name: `moment${i}`, tensor: tf.tensor(m.data, m.shape) })),
    ];
    await this.setWeights(named); // the moments become variables sharing these tensors' data
    tf.dispose(named.map((n) => n.tensor));
    const { accBeta1, accBeta2 } = this.betaPowers;
    tf.tidy(() => {
      accBeta1.assign(tf.tensor(state.accBeta1, []));
      accBeta2.assign(tf.tensor(state.accBeta2, []));
    });
  }
}
